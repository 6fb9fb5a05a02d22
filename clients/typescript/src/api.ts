/**
 * The SPA's typed API client: openapi-fetch over the types `make client` generates from
 * docs/openapi.yaml (src/schema.d.ts).
 *
 * The client reads two media types: application/json (every success body) and
 * application/problem+json (every error, RFC 9457). The reports also answer `?format=csv` as
 * text/csv; left in, that media type would make every report's `data` a union
 * (`PaginatedSummaryRowList | string`) that each caller has to narrow. A CSV download asks for
 * text instead (`parseAs: "text"`, see downloadCoverageSummaryCsv in example.ts).
 */
import createClient, { type Middleware } from "openapi-fetch";

import type { components, operations, paths } from "./schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];
export type ProblemCode = Problem["code"];
export type { operations, paths };

/** The media types the client parses: JSON bodies and problem documents. */
export type ApiMedia = "application/json" | "application/problem+json";

const CSRF_COOKIE = "csrftoken";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

function cookie(name: string): string | undefined {
  for (const part of document.cookie.split("; ")) {
    const [key, ...value] = part.split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

/** The cookie flow: unsafe requests carry the CSRF cookie's value in X-CSRFToken. */
const csrf: Middleware = {
  onRequest({ request }) {
    const token = cookie(CSRF_COOKIE);
    if (token && !SAFE_METHODS.has(request.method)) request.headers.set("X-CSRFToken", token);
    return request;
  },
};

export function apiClient(baseUrl: string) {
  const client = createClient<paths, ApiMedia>({ baseUrl, credentials: "include" });
  client.use(csrf);
  return client;
}

export type ApiClient = ReturnType<typeof apiClient>;
