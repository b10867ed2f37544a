import { startEmulator } from './index';

function parsePort(argv: string[]): number {
  const flag = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  const raw = flag === -1 ? process.env.EMULATOR_PORT : argv[flag]!.includes('=') ? argv[flag]!.split('=')[1] : argv[flag + 1];
  const port = Number(raw ?? 4010);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`Invalid port: ${raw}`);
  }
  return port;
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ port: parsePort(process.argv.slice(2)) });
  console.log(`Twilio API emulator listening on ${emulator.url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
