// applypatch.mjs reads a JSON array of {resource, operations} from stdin,
// applies each PATCH with scim-patch, and prints a JSON array of
// {result} or {error}: the reference Rollcall's PATCH must agree with.
import { scimPatch } from "scim-patch";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map(({ resource, operations }) => {
  try {
    return { result: scimPatch(resource, operations) };
  } catch (e) {
    return { error: e.message };
  }
});
process.stdout.write(JSON.stringify(out) + "\n");
