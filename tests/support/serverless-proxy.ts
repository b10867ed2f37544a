/**
 * An HTTP proxy on loopback that answers CONNECT to `<host>:443` for the given hosts by terminating
 * TLS itself and serving the request with a local handler: a client honouring HTTP_PROXY (as
 * @twilio-labs/serverless-api does) then reaches the handler instead of the real host. Any other
 * CONNECT is refused with 403, so nothing leaves the machine.
 */
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface InterceptingProxy {
  /** `http://127.0.0.1:<port>`, for HTTP_PROXY. */
  url: string;
  /** Every CONNECT target asked for, in order, refused ones included. */
  connects: string[];
  close(): Promise<void>;
}

export interface InterceptingProxyOptions {
  /** Hosts served on port 443 by `handler`. */
  hosts: readonly string[];
  /** PEM key and certificate valid for those hosts. */
  tls: { key: Buffer; cert: Buffer };
  handler: RequestListener;
}

export async function startInterceptingProxy(options: InterceptingProxyOptions): Promise<InterceptingProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const tlsServer = createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, options.handler);
  const connects: string[] = [];
  const proxy = createHttpServer((_req, res) => res.writeHead(405).end('CONNECT only\n'));
  proxy.on('connection', track);
  proxy.on('connect', (req, socket: Socket, head: Buffer) => {
    const target = req.url ?? '';
    connects.push(target);
    const [host, port] = target.split(':');
    if (port !== '443' || !options.hosts.includes(host!)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    // The TLS server takes the tunnelled socket as if a client had connected to it directly.
    tlsServer.emit('connection', socket);
  });
  await new Promise<void>((listening) => proxy.listen(0, '127.0.0.1', listening));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    close: () =>
      new Promise<void>((closed) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => closed());
      }),
  };
}
