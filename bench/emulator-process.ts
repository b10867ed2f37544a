import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Fault, FaultMatch, RequestLogEntry, SeedConversation, SeedMessage, SeedParticipant } from '../emulator';

/**
 * The emulator in its own process, as a real remote would be: the guard and Twilio's stand-in do not
 * share an event loop. Driven through its HTTP control surface.
 */
export class EmulatorProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(port: number): Promise<EmulatorProcess> {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), join(__dirname, '..', 'emulator', 'main.ts'), '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        const match = /listening on (\S+)/.exec(chunk.toString());
        if (match) resolve(match[1]!);
      });
      child.on('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    });
    return new EmulatorProcess(child, url);
  }

  private async control<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}/__emulator/${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  reset = () => this.control('POST', 'reset');
  clearLog = () => this.control('DELETE', 'log');
  log = async () => (await this.control<RequestLogEntry[]>('GET', 'log')).filter((e) => e.product !== 'control');
  counters = () => this.control<Record<string, { reads: number; writes: number; throttled: number }>>('GET', 'counters');
  setLatency = (ms: number, match?: FaultMatch) => this.control('POST', 'latency', { ms, match });
  inFlight = () => this.control<{ now: number; peak: number }>('GET', 'in-flight');
  injectFault = (fault: Fault) => this.control('POST', 'faults', fault);
  clearFaults = () => this.control('DELETE', 'faults');
  conversations = async (items: SeedConversation[]) => (await this.control<{ sids: string[] }>('POST', 'seed/conversations', items)).sids;
  participants = (conversationSid: string, items: SeedParticipant[]) => this.control('POST', `seed/conversations/${conversationSid}/participants`, items);
  messages = (conversationSid: string, items: SeedMessage[]) => this.control('POST', `seed/conversations/${conversationSid}/messages`, items);

  stop(): void {
    this.child.kill('SIGTERM');
  }
}
