// parsefilter.mjs reads a JSON array of SCIM filters from stdin and prints
// a JSON array of booleans: whether scim2-parse-filter parses each.
import { parse } from "scim2-parse-filter";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map((f) => {
  try {
    parse(f);
    return true;
  } catch {
    return false;
  }
});
process.stdout.write(JSON.stringify(out) + "\n");
