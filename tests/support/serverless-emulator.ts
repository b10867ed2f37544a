/**
 * Twilio's Serverless API on loopback, for running the real `twilio-run deploy` offline: give the
 * deploying process `env()` (HTTP_PROXY and NODE_EXTRA_CA_CERTS) and its requests to
 * serverless.twilio.com and serverless-upload.twilio.com land in `state`.
 */
import { emptyServerlessState, SERVERLESS_HOSTS, serverlessApi, type ServerlessState } from './serverless-api';
import { createCertificates } from './serverless-certificates';
import { startInterceptingProxy } from './serverless-proxy';

export interface ServerlessEmulator {
  /** Everything the deploys so far created and uploaded. */
  state: ServerlessState;
  /** Every CONNECT target the proxy was asked for. */
  connects: string[];
  /** Variables that route a child process's Serverless API calls here. */
  env(): { HTTP_PROXY: string; NODE_EXTRA_CA_CERTS: string };
  close(): Promise<void>;
}

export async function startServerlessEmulator(): Promise<ServerlessEmulator> {
  const certificates = createCertificates(SERVERLESS_HOSTS);
  const state = emptyServerlessState();
  const proxy = await startInterceptingProxy({ hosts: SERVERLESS_HOSTS, tls: certificates, handler: serverlessApi(state) });
  return {
    state,
    connects: proxy.connects,
    env: () => ({ HTTP_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: certificates.authorityFile }),
    close: async () => {
      await proxy.close();
      certificates.remove();
    },
  };
}
