/**
 * Round trips in sequence, counted without a clock: a twilio-node HTTP client that sends nothing until
 * the test says so, then sends every request waiting at once and answers them all (one round), and
 * again, until the work is done. The number of rounds is the number of remote round trips the work
 * waits for in sequence, whatever the machine's speed.
 */
import twilio, { type RequestClient, type Twilio } from 'twilio';
import { GuardRequestClient, type TwilioRequest, type TwilioResponse } from '../../src/guard/twilio/request-client';
import { ACCOUNT_SID } from './events';
import { AUTH_TOKEN } from './twilio-request';

interface Waiting {
  opts: TwilioRequest;
  resolve: (res: TwilioResponse) => void;
  reject: (error: unknown) => void;
}

/** Lets every promise continuation run: the work then either waits on a request or is done. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

export class RoundClient {
  private readonly inner: GuardRequestClient;
  private waiting: Waiting[] = [];
  /** Each round's requests, as `METHOD path?query`. */
  readonly rounds: string[][] = [];

  constructor(baseUrl: string) {
    this.inner = new GuardRequestClient(baseUrl);
  }

  request(opts: TwilioRequest): Promise<TwilioResponse> {
    return new Promise((resolve, reject) => this.waiting.push({ opts, resolve, reject }));
  }

  /** A twilio-node client whose every request waits for the next round. */
  client(): Twilio {
    return twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: this as unknown as RequestClient });
  }

  /** Runs `work` round by round; resolves with its result and the number of rounds it took. */
  async run<T>(work: () => Promise<T>): Promise<{ result: T; rounds: number }> {
    this.rounds.length = 0;
    let outcome: { value: T } | { error: unknown } | undefined;
    void work().then(
      (value) => (outcome = { value }),
      (error: unknown) => (outcome = { error }),
    );
    for (;;) {
      await settle();
      if (this.waiting.length === 0) break;
      const batch = this.waiting;
      this.waiting = [];
      this.rounds.push(batch.map((w) => `${w.opts.method.toUpperCase()} ${describe(w.opts)}`));
      await Promise.all(batch.map((w) => this.inner.request(w.opts).then(w.resolve, w.reject)));
    }
    if (!outcome) throw new Error('the work neither finished nor waits on a request');
    if ('error' in outcome) throw outcome.error;
    return { result: outcome.value, rounds: this.rounds.length };
  }
}

function describe(opts: TwilioRequest): string {
  const url = new URL(opts.uri);
  for (const [name, value] of Object.entries(opts.params ?? {})) if (value !== undefined) url.searchParams.append(name, String(value));
  return `${url.pathname}${url.search}`;
}
