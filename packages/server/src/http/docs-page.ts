/**
 * /docs: a self-contained API reference rendered from the OpenAPI document (no CDN, so it works on
 * a machine without internet). For an interactive client, load /openapi.json into any OpenAPI tool.
 */
const esc = (s: unknown) => String(s ?? "").replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]!);

type Doc = { info: { title: string; version: string; description?: string }; paths?: Record<string, Record<string, Operation>> };
type Operation = { summary?: string; description?: string; tags?: string[]; requestBody?: { content?: Record<string, { schema?: unknown }> }; responses?: Record<string, { description?: string }>; parameters?: { name: string; in: string; required?: boolean; description?: string }[] };

function schemaName(s: unknown): string {
  if (!s || typeof s !== "object") return "";
  const ref = (s as { $ref?: string }).$ref;
  return ref ? ref.split("/").pop()! : "inline schema";
}

export function docsPage(doc: unknown): string {
  const d = doc as Doc;
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(d.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = op.tags?.[0] ?? "Other";
      const params = (op.parameters ?? []).map((p) => `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ", required" : ""}) ${esc(p.description)}</li>`).join("");
      const body = op.requestBody?.content?.["application/json"]?.schema;
      const responses = Object.entries(op.responses ?? {}).map(([s, r]) => `<li><code>${esc(s)}</code> ${esc(r.description)}</li>`).join("");
      const html = `<section class="op"><h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
        <p><strong>${esc(op.summary)}</strong></p>${op.description ? `<p>${esc(op.description)}</p>` : ""}
        ${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ""}${body ? `<h4>Body</h4><p><code>${esc(schemaName(body))}</code> (see /openapi.json)</p>` : ""}
        <h4>Responses</h4><ul>${responses}</ul></section>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const sections = [...byTag].map(([tag, ops]) => `<h2 id="${esc(tag)}">${esc(tag)}</h2>${ops.join("")}`).join("");
  const nav = [...byTag.keys()].map((t) => `<a href="#${esc(t)}">${esc(t)}</a>`).join(" · ");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(d.info.title)} reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .25rem;border-radius:3px}
.op{border-top:1px solid #ddd;padding:.5rem 0}.m{font:bold 12px monospace;padding:.15rem .4rem;border-radius:3px;color:#fff;background:#555}.get{background:#2a7}.post{background:#27c}.put{background:#a6c}.patch{background:#c82}.delete{background:#c33}</style></head>
<body><h1>${esc(d.info.title)} <small>${esc(d.info.version)}</small></h1><p>${esc(d.info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). ${nav}</p>${sections}</body></html>`;
}
