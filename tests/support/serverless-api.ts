/**
 * An in-memory stand-in for the parts of Twilio's Serverless API that `twilio-run deploy` calls
 * (@twilio-labs/serverless-api 5): Services, Environments, Functions and Assets with their
 * Versions (multipart uploads on serverless-upload.twilio.com), Builds and their Status,
 * Deployments and Variables. It keeps what was uploaded so a test can assert on it. Builds
 * complete at once; a service's unique name is unique, as on Twilio (409 on a second create).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

export const SERVERLESS_HOSTS = ['serverless.twilio.com', 'serverless-upload.twilio.com'] as const;

export interface RecordedRequest {
  method: string;
  host: string;
  path: string;
  /** The Basic auth user (Account SID or API key SID). */
  username: string;
}

export interface Service { sid: string; unique_name: string; friendly_name: string; include_credentials: boolean }
export interface Environment { sid: string; service_sid: string; unique_name: string; domain_suffix: string | null; domain_name: string; build_sid: string | null }
export interface Resource { sid: string; service_sid: string; friendly_name: string }
export interface Version { sid: string; resourceSid: string; path: string; visibility: string; content: string; contentType: string }
export interface Build { sid: string; service_sid: string; runtime: string; functionVersions: string[]; assetVersions: string[]; dependencies: { name: string; version: string }[] }
export interface Variable { sid: string; environment_sid: string; key: string; value: string }

export interface ServerlessState {
  requests: RecordedRequest[];
  services: Service[];
  environments: Environment[];
  functions: Resource[];
  assets: Resource[];
  functionVersions: Version[];
  assetVersions: Version[];
  builds: Build[];
  deployments: { sid: string; environment_sid: string; build_sid: string }[];
  variables: Variable[];
}

export function emptyServerlessState(): ServerlessState {
  return { requests: [], services: [], environments: [], functions: [], assets: [], functionVersions: [], assetVersions: [], builds: [], deployments: [], variables: [] };
}

class ApiError extends Error {
  constructor(readonly status: number, readonly code: number, message: string) {
    super(message);
  }
}

let counter = 0;
function sid(prefix: string): string {
  counter += 1;
  return prefix + counter.toString(16).padStart(32, '0');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => done(Buffer.concat(chunks)));
    req.on('error', fail);
  });
}

interface Part { name: string; contentType?: string; content: Buffer }

/** multipart/form-data as the form-data package writes it. */
function multipartParts(body: Buffer, contentType: string): Part[] {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  if (!boundary) throw new ApiError(400, 20001, 'multipart body without a boundary');
  const text = body.toString('latin1');
  return text
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((raw) => {
      const headerEnd = raw.indexOf('\r\n\r\n');
      const headers = raw.slice(0, headerEnd);
      const content = raw.slice(headerEnd + 4, raw.length - 2);
      return {
        name: /name="([^"]+)"/.exec(headers)?.[1] ?? '',
        contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1],
        content: Buffer.from(content, 'latin1'),
      };
    });
}

function page<T>(key: string, items: T[]) {
  return { [key]: items, meta: { key, page: 0, page_size: 50, next_page_url: null } };
}

function found<T>(item: T | undefined, what: string): T {
  if (!item) throw new ApiError(404, 20404, `The requested resource ${what} was not found`);
  return item;
}

/** The request handler; `state` is mutated as requests arrive. */
export function serverlessApi(state: ServerlessState): RequestListener {
  async function route(req: IncomingMessage, host: string, path: string, body: Buffer): Promise<[number, unknown]> {
    const method = req.method ?? 'GET';
    const form = () => new URLSearchParams(body.toString('utf8'));
    const segments = path.replace(/^\/v1\//, '').split('/');
    const [services, serviceSid, collection, itemSid, sub, subSid] = segments;
    if (!path.startsWith('/v1/') || services !== 'Services') throw new ApiError(404, 20404, `Unknown path ${path}`);

    if (serviceSid === undefined) {
      if (method === 'GET') return [200, page('services', state.services)];
      const uniqueName = form().get('UniqueName') ?? '';
      if (state.services.some((s) => s.unique_name === uniqueName)) throw new ApiError(409, 54301, `Service with UniqueName ${uniqueName} already exists`);
      const service = { sid: sid('ZS'), unique_name: uniqueName, friendly_name: form().get('FriendlyName') ?? uniqueName, include_credentials: form().get('IncludeCredentials') === 'true' };
      state.services.push(service);
      return [201, service];
    }
    const service = found(state.services.find((s) => s.sid === serviceSid), serviceSid);
    if (collection === undefined) return [200, service];

    if (collection === 'Environments') {
      if (itemSid === undefined) {
        if (method === 'GET') return [200, page('environments', state.environments.filter((e) => e.service_sid === service.sid))];
        const suffix = form().get('DomainSuffix');
        const number = 1000 + state.services.indexOf(service);
        const environment = { sid: sid('ZE'), service_sid: service.sid, unique_name: form().get('UniqueName') ?? '', domain_suffix: suffix, domain_name: `${service.unique_name}-${number}${suffix ? `-${suffix}` : ''}.twil.io`, build_sid: null };
        state.environments.push(environment);
        return [201, environment];
      }
      const environment = found(state.environments.find((e) => e.sid === itemSid && e.service_sid === service.sid), itemSid);
      if (sub === undefined) return [200, environment];
      if (sub === 'Deployments' && method === 'POST') {
        const build = found(state.builds.find((b) => b.sid === form().get('BuildSid')), 'build');
        environment.build_sid = build.sid;
        const deployment = { sid: sid('ZD'), environment_sid: environment.sid, build_sid: build.sid };
        state.deployments.push(deployment);
        return [201, deployment];
      }
      if (sub === 'Variables') {
        const own = state.variables.filter((v) => v.environment_sid === environment.sid);
        if (method === 'GET' && subSid === undefined) return [200, page('variables', own)];
        if (method === 'POST' && subSid === undefined) {
          const variable = { sid: sid('ZV'), environment_sid: environment.sid, key: form().get('Key') ?? '', value: form().get('Value') ?? '' };
          state.variables.push(variable);
          return [201, variable];
        }
        if (method === 'POST') {
          const variable = found(own.find((v) => v.sid === subSid), subSid!);
          variable.value = form().get('Value') ?? '';
          return [200, variable];
        }
      }
    }

    if (collection === 'Functions' || collection === 'Assets') {
      const resources = collection === 'Functions' ? state.functions : state.assets;
      if (itemSid === undefined) {
        if (method === 'GET') return [200, page(collection.toLowerCase(), resources.filter((r) => r.service_sid === service.sid))];
        const resource = { sid: sid('ZH'), service_sid: service.sid, friendly_name: form().get('FriendlyName') ?? '' };
        resources.push(resource);
        return [201, resource];
      }
      const resource = found(resources.find((r) => r.sid === itemSid), itemSid);
      if (sub === 'Versions' && method === 'POST') {
        if (host !== 'serverless-upload.twilio.com') throw new ApiError(404, 20404, 'Versions are uploaded to serverless-upload.twilio.com');
        const parts = multipartParts(body, req.headers['content-type'] ?? '');
        const field = (name: string) => parts.find((p) => p.name === name);
        const content = found(field('Content'), 'Content');
        const version = { sid: sid('ZN'), resourceSid: resource.sid, path: field('Path')?.content.toString() ?? '', visibility: field('Visibility')?.content.toString() ?? '', content: content.content.toString('utf8'), contentType: content.contentType ?? '' };
        (collection === 'Functions' ? state.functionVersions : state.assetVersions).push(version);
        return [201, { sid: version.sid, path: version.path, visibility: version.visibility }];
      }
    }

    if (collection === 'Builds') {
      if (itemSid === undefined && method === 'POST') {
        const params = form();
        // twilio-run sends the dependency list as a JSON string wrapped in one more pair of quotes.
        const dependencies = params.get('Dependencies');
        const build = {
          sid: sid('ZB'),
          service_sid: service.sid,
          runtime: params.get('Runtime') ?? 'node18',
          functionVersions: params.getAll('FunctionVersions'),
          assetVersions: params.getAll('AssetVersions'),
          dependencies: dependencies ? JSON.parse(dependencies.slice(1, -1)) : [],
        };
        state.builds.push(build);
        return [201, { ...build, status: 'building' }];
      }
      const build = found(state.builds.find((b) => b.sid === itemSid), itemSid ?? 'build');
      if (sub === 'Status') return [200, { sid: build.sid, status: 'completed' }];
      return [200, { ...build, status: 'completed' }];
    }
    throw new ApiError(405, 20004, `${method} ${path} is not served`);
  }

  return async (req: IncomingMessage, res: ServerResponse) => {
    const host = (req.headers.host ?? '').replace(/:443$/, '');
    const path = new URL(req.url ?? '/', `https://${host}`).pathname;
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    const [username = '', password = ''] = scheme === 'Basic' && encoded ? Buffer.from(encoded, 'base64').toString().split(':') : [];
    state.requests.push({ method: req.method ?? 'GET', host, path, username });
    let status: number;
    let payload: unknown;
    try {
      const body = await readBody(req);
      if (!/^(AC|SK)[0-9a-f]{32}$/i.test(username) || password === '') throw new ApiError(401, 20003, 'Authenticate');
      [status, payload] = await route(req, host, path, body);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 20500, String(error));
      status = apiError.status;
      payload = { code: apiError.code, message: apiError.message, more_info: `https://www.twilio.com/docs/errors/${apiError.code}`, status };
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  };
}
