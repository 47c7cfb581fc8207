// validate.mjs reads a JSON array of {name, kind, body} from stdin, where
// kind is User, Group, ServiceProviderConfig, ResourceType, Schema, Error or
// List:<kind>, and checks each body with scimmy's RFC 7643 schemas. It
// prints a JSON array of {name, problem} for the bodies scimmy refuses, or
// that carry attributes no schema has (scimmy drops those when coercing).
import SCIMMY from "scimmy";

SCIMMY.Schemas.User.extend(SCIMMY.Schemas.EnterpriseUser, false);
const definitions = {
  User: SCIMMY.Schemas.User.definition,
  Group: SCIMMY.Schemas.Group.definition,
  ServiceProviderConfig: SCIMMY.Schemas.ServiceProviderConfig.definition,
  ResourceType: SCIMMY.Schemas.ResourceType.definition,
};

// extra returns the paths of members of a that coerced b lacks.
function extra(a, b, at) {
  const out = [];
  if (a === null || typeof a !== "object" || b === null || typeof b !== "object") return out;
  if (Array.isArray(a)) {
    a.forEach((x, i) => out.push(...extra(x, Array.isArray(b) ? b[i] : undefined, `${at}[${i}]`)));
    return out;
  }
  const lower = Object.fromEntries(Object.keys(b).map((k) => [k.toLowerCase(), k]));
  for (const k of Object.keys(a)) {
    const bk = lower[k.toLowerCase()];
    if (bk === undefined) out.push(`${at}.${k}`);
    else out.push(...extra(a[k], b[bk], `${at}.${k}`));
  }
  return out;
}

function check(kind, body) {
  if (kind.startsWith("List:")) {
    const list = new SCIMMY.Messages.ListResponse(body);
    if (typeof body.totalResults !== "number" || !Array.isArray(body.Resources)) throw new Error("not a ListResponse");
    if (body.itemsPerPage !== body.Resources.length) throw new Error(`itemsPerPage ${body.itemsPerPage} but ${body.Resources.length} Resources`);
    void list;
    const problems = [];
    body.Resources.forEach((r, i) => {
      try {
        check(kind.slice(5), r);
      } catch (e) {
        problems.push(`Resources[${i}]: ${e.message}`);
      }
    });
    if (problems.length) throw new Error(problems.join("; "));
    return;
  }
  if (kind === "Error") {
    if (!body.schemas?.includes("urn:ietf:params:scim:api:messages:2.0:Error")) throw new Error("no Error schema");
    if (typeof body.status !== "string") throw new Error("status must be a string");
    // RFC 7644 §3.12 lists the statuses of SCIM errors; 415 and 429 are
    // HTTP's own, which scimmy does not know, so only their shape is checked.
    if (["415", "429"].includes(body.status)) return;
    // Built without schemas, scimmy checks the status and scimType pair
    // (uniqueness only with 409, invalidFilter only with 400, …).
    const { status, scimType, detail } = body;
    new SCIMMY.Messages.ErrorResponse({ status, scimType, detail });
    return;
  }
  if (kind === "Schema") {
    if (!body.id || !Array.isArray(body.attributes)) throw new Error("a schema needs id and attributes");
    return;
  }
  const def = definitions[kind];
  if (!def) throw new Error(`unknown kind ${kind}`);
  const out = def.coerce(body, "out");
  const more = extra(body, JSON.parse(JSON.stringify(out)), "");
  if (more.length) throw new Error(`attributes the schema does not have: ${more.join(", ")}`);
}

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const problems = [];
for (const { name, kind, body } of JSON.parse(input)) {
  try {
    check(kind, body);
  } catch (e) {
    problems.push({ name, problem: e.message });
  }
}
process.stdout.write(JSON.stringify(problems) + "\n");
