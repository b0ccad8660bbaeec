// The versions SecureDrop Inbox computes for records it received, computed the way it
// computes them: BLAKE2s-256 (hex) of JSON.stringify with every object's keys sorted,
// and the index's version the same way over {sources, items, journalists}. Run by
// Node.js, whose JSON.stringify is the one the Inbox (Electron) uses; our own code.
//
//   node compute-versions.js < records.json
//   records.json: {"sources": {uuid: record}, "items": {...}, "journalists": {...}}
//   prints:       {"index": {"sources": {uuid: version}, ...}, "version": "<hex>"}
"use strict";
const crypto = require("crypto");

function sortKeys(_key, value) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return value;
    }
    const sorted = {};
    for (const key of Object.keys(value).sort()) {
        sorted[key] = value[key];
    }
    return sorted;
}

function version(value) {
    const text = JSON.stringify(value, sortKeys);
    return crypto.createHash("blake2s256").update(new TextEncoder().encode(text)).digest("hex");
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
    const records = JSON.parse(input);
    const index = {};
    for (const kind of ["sources", "items", "journalists"]) {
        index[kind] = {};
        for (const [uuid, record] of Object.entries(records[kind])) {
            index[kind][uuid] = version(record);
        }
    }
    process.stdout.write(JSON.stringify({ index, version: version(index) }));
});
