import type { IncomingHttpHeaders } from 'node:http';
import { TwilioError } from './errors';

/** What a product handler sees of a request. */
export interface ApiRequest {
  method: string;
  query: Record<string, string>;
  /** Form body; dotted names such as `MessagingBinding.Address` stay flat keys. */
  form: Record<string, string>;
  /** Every value of a repeated form field, such as `Filters`; empty when absent. */
  formAll(name: string): string[];
  headers: IncomingHttpHeaders;
  accountSid: string;
  /** Set by Sync handlers to attribute the request to an object in the log. */
  object?: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  /** Response headers beyond Content-Type and Content-Length (Sync's ETag). */
  headers?: Record<string, string>;
}

export type Params = Record<string, string>;
export type Handler = (req: ApiRequest, params: Params) => ApiResponse;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
}

/** Matches percent-decoded path segments against patterns such as `Services/:service/Documents/:id`. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, parts: pattern.split('/'), handler });
    return this;
  }

  dispatch(segments: string[], req: ApiRequest): ApiResponse {
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchParts(route.parts, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method === req.method) return route.handler(req, params);
    }
    if (pathMatched) throw new TwilioError(405, 20004, `Method ${req.method} not allowed`);
    throw new TwilioError(404, 20404, 'The requested resource was not found');
  }
}

function matchParts(parts: string[], segments: string[]): Params | undefined {
  if (parts.length !== segments.length) return undefined;
  const params: Params = {};
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i]!;
    const segment = segments[i]!;
    if (part.startsWith(':')) params[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}
