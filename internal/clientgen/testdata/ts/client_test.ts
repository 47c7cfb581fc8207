// A client generated from api/openapi.json by openapi-typescript, used
// through openapi-fetch against a real Rollcall server: the Go test in
// internal/clientgen generates gen/schema.d.ts, type-checks this file
// against it (tsc, strict), runs it with ROLLCALL_URL and ROLLCALL_TOKEN,
// and expects "ok" on the last line.
import createClient from "openapi-fetch";
import type { paths } from "./gen/schema.js";

// Node's process, declared here rather than through @types/node.
declare const process: { env: Record<string, string | undefined> };

const baseUrl = process.env.ROLLCALL_URL;
const token = process.env.ROLLCALL_TOKEN;
if (!baseUrl || !token) {
  throw new Error("set ROLLCALL_URL and ROLLCALL_TOKEN");
}

const client = createClient<paths>({
  baseUrl,
  headers: { Authorization: `Bearer ${token}`, Accept: "application/vnd.api+json" },
});

function check(cond: boolean, what: string, detail?: unknown): asserts cond {
  if (!cond) {
    throw new Error(`${what}: ${JSON.stringify(detail)}`);
  }
}

const created = await client.POST("/api/v1/users", {
  body: {
    data: {
      type: "users",
      attributes: { username: "ts.client", email: "ts.client@example.com", "first-name": "Tess", attributes: { team: "ts" } },
    },
  },
});
check(created.response.status === 201 && created.data !== undefined, "create a user", created.error);
const id: string = created.data.data.id;
check(created.data.data.attributes.username === "ts.client", "created username", created.data);

const listed = await client.GET("/api/v1/users", {
  params: { query: { "filter[username]": "ts.client", "page[size]": 10 } },
});
check(listed.data !== undefined && listed.data.data.length === 1 && listed.data.data[0].id === id, "list by username", listed.error ?? listed.data);
check(listed.data.links?.self?.includes("page%5Bsize%5D=10") === true, "links.self is encoded", listed.data.links);

const got = await client.GET("/api/v1/users/{id}", { params: { path: { id } } });
check(got.data !== undefined && got.data.data.attributes["first-name"] === "Tess", "get by id", got.error ?? got.data);
check(got.data.data.attributes.attributes.team === "ts", "free-form attributes", got.data);

const missing = await client.GET("/api/v1/users", { params: { query: { "filter[group]": "nosuch" } } });
check(missing.response.status === 404 && missing.error !== undefined, "filter naming no group", missing.response.status);
check(missing.error.errors[0].code === "not_found" && missing.error.errors[0].source?.parameter === "filter[group]", "error object", missing.error);

const removed = await client.DELETE("/api/v1/users/{id}", { params: { path: { id } } });
check(removed.response.status === 204, "delete the user", removed.error);

console.log("ok");
