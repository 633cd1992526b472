#!/usr/bin/env node
// A tiny, dependency-free, read-only static server for the directrix demo portal.
//
//   node wasm/demo/serve.mjs [PORT]      (or PORT=8080 node wasm/demo/serve.mjs)
//
// Serves the repository root, restricted to a few prefixes; prints the demo URL as its
// first line of output. `startServer(port)` is exported for tests.
import { createServer } from "node:http";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (two levels above this file). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The only URL prefixes served; anything else is a 404. */
export const ALLOWED_PREFIXES = [
  "/wasm/demo/",
  "/wasm/pkg/",
  "/wasm/node_modules/mermaid/dist/",
  "/workflows/",
];

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".ron": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

function send(res, status, text, headers = {}) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
  res.end(text);
}

/** Maps a request path to a file path under ROOT, or null when it must not be served. */
export function resolveRequestPath(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  // Refuse any `.` or `..` segment outright rather than normalising it away.
  const segments = decoded.split("/");
  if (segments.some((s) => s === ".." || s === ".")) return null;
  if (decoded.endsWith("/")) decoded += "index.html";
  if (!ALLOWED_PREFIXES.some((p) => decoded.startsWith(p))) return null;
  const file = resolve(ROOT, "." + decoded);
  if (!file.startsWith(ROOT + sep)) return null;
  return file;
}

async function handle(req, res) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return send(res, 405, "method not allowed\n", { allow: "GET, HEAD" });
  }
  const { pathname } = new URL(req.url, "http://localhost");
  if (pathname === "/" || pathname === "/wasm/demo") {
    res.writeHead(302, { location: "/wasm/demo/" });
    return res.end();
  }
  const file = resolveRequestPath(pathname);
  if (!file) return send(res, 404, "not found\n");
  let info;
  try {
    info = await stat(file);
  } catch {
    return send(res, 404, "not found\n");
  }
  if (!info.isFile()) return send(res, 404, "not found\n");
  res.writeHead(200, {
    "content-type": MIME[extname(file).toLowerCase()] ?? "application/octet-stream",
    "content-length": info.size,
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
  });
  if (req.method === "HEAD") return res.end();
  createReadStream(file)
    .on("error", () => res.destroy())
    .pipe(res);
}

/**
 * Starts the server on 127.0.0.1:`port` (0 picks a free port).
 * Resolves to `{ url, port, close }`; `url` is the demo page, `close()` resolves when stopped.
 */
export function startServer(port = 0) {
  return new Promise((resolvePromise, reject) => {
    const server = createServer((req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) send(res, 500, "internal error\n");
        else res.destroy();
      });
    });
    server.on("error", reject);
    server.listen(Number(port) || 0, "127.0.0.1", () => {
      const actual = server.address().port;
      resolvePromise({
        url: `http://127.0.0.1:${actual}/wasm/demo/`,
        port: actual,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections?.();
          }),
      });
    });
  });
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const port = process.argv[2] ?? process.env.PORT ?? 0;
  const { url } = await startServer(port);
  console.log(url);
  console.log(`serving ${join(ROOT)} (read-only: ${ALLOWED_PREFIXES.join(", ")}); Ctrl+C to stop`);
}
