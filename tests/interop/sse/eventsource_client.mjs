// The npm `eventsource` client against an SSE URL: prints one JSON line per event, open and error.
// Usage: node eventsource_client.mjs <path to tests/js/node_modules/eventsource> <url>
const [, , modulePath, url] = process.argv;
const { EventSource } = await import(modulePath);
const es = new EventSource(url);
const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
es.onopen = () => out({ kind: "open" });
es.onerror = () => out({ kind: "error", readyState: es.readyState });
es.onmessage = (e) => out({ kind: "message", data: e.data, lastEventId: e.lastEventId });
process.stdin.on("data", () => { es.close(); process.exit(0); });
