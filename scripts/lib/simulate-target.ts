import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startLocalRuntime } from '../../bench/load-runtime';
import { startEmulator } from '../../emulator';
import { hasRealCredentials, readDotenv } from './dotenv';
import type { WebhookTarget } from './simulate-webhook';

/**
 * The rate rule the simulation adds so a looping bot is refused quickly: 10 messages per author in
 * any 10 seconds. The built-in rules keep their defaults.
 */
export const SIMULATION_RATE_LIMITS = 'bot-loop=10/10s per author';

export interface SimulationTarget extends WebhookTarget {
  /** The Twilio API emulator the guard reads its facts from; the simulation seeds it. */
  emulatorUrl: string;
  /** One line saying what is being played against. */
  description: string;
  /** The RATE_LIMITS in force, for the printout ('' when none). */
  rateLimits: string;
  stop(): Promise<void>;
}

/**
 * Its own emulator (in this process: the runtime serving the guard is another process already) and
 * local Functions runtime, on free ports, stopped afterwards.
 */
export async function ownTarget(): Promise<SimulationTarget> {
  const emulator = await startEmulator();
  try {
    const authToken = randomBytes(16).toString('hex');
    const runtime = await startLocalRuntime({ env: { AUTH_TOKEN: authToken, TWILIO_API_BASE_URL: emulator.url, RATE_LIMITS: SIMULATION_RATE_LIMITS } });
    return {
      origin: `http://127.0.0.1:${runtime.port}`,
      signedOrigin: runtime.url,
      authToken,
      emulatorUrl: emulator.url,
      description: 'a local Functions runtime serving the built functions (default settings) and the Twilio API emulator, both on free ports',
      rateLimits: SIMULATION_RATE_LIMITS,
      async stop() {
        await runtime.stop();
        await emulator.close();
      },
    };
  } catch (error) {
    await emulator.close();
    throw error;
  }
}

/**
 * A server started with `npm start`: AUTH_TOKEN, WEBHOOK_BASE_URL and TWILIO_API_BASE_URL come from
 * the project's .env, the emulator's address otherwise from EMULATOR_PORT (default 4010), as
 * `npm start` chooses it. Its settings are its own: RATE_LIMITS is whatever .env says.
 */
export function runningTarget(url: string): SimulationTarget {
  const env = readDotenv(join(__dirname, '..', '..', '.env'));
  if (!env.AUTH_TOKEN) throw new Error('.env has no AUTH_TOKEN: run npm start once, which creates it, or drop --url');
  if (!env.TWILIO_API_BASE_URL && hasRealCredentials(env)) {
    throw new Error('.env holds real Twilio credentials: the simulation seeds conversations in the local emulator and does not run against Twilio');
  }
  const origin = url.replace(/\/+$/, '');
  const emulatorUrl = env.TWILIO_API_BASE_URL || `http://127.0.0.1:${process.env.EMULATOR_PORT ?? env.EMULATOR_PORT ?? 4010}`;
  return {
    origin,
    signedOrigin: env.WEBHOOK_BASE_URL || origin,
    authToken: env.AUTH_TOKEN,
    emulatorUrl,
    description: `the server at ${origin} (settings from .env) and the Twilio API at ${emulatorUrl}`,
    rateLimits: env.RATE_LIMITS ?? '',
    stop: async () => undefined,
  };
}
