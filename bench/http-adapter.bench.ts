/**
 * Why the app runs on Fastify: the same Nest controller served by Nest on Fastify and by Nest on
 * Express, loaded side by side in one run (alternating rounds), through a keep-alive undici Pool.
 *
 *   npm run bench:adapter              (defaults: 4 rounds of 20,000 requests, 64 in flight)
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);

@Controller()
class HelloController {
  @Get('hello')
  hello(): { status: string } {
    return { status: 'ok' };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

async function serve(kind: 'fastify' | 'express'): Promise<{ url: string; close: () => Promise<void> }> {
  const app = await NestFactory.create(HelloModule, kind === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

async function load(url: string, requests: number): Promise<number> {
  const pool = new Pool(url, { connections: CONCURRENCY });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < requests) {
        const res = await pool.request({ method: 'GET', path: '/hello' });
        await res.body.text();
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.close();
  return requests / seconds;
}

async function main(): Promise<void> {
  const fastify = await serve('fastify');
  const express = await serve('express');
  await load(fastify.url, 2_000);
  await load(express.url, 2_000);
  const rates = { fastify: [] as number[], express: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    const order: ('fastify' | 'express')[] = r % 2 === 0 ? ['fastify', 'express'] : ['express', 'fastify'];
    for (const kind of order) rates[kind].push(await load(kind === 'fastify' ? fastify.url : express.url, REQUESTS));
  }
  await fastify.close();
  await express.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const line = (name: string, xs: number[]) =>
    `${name.padEnd(16)} ${xs.map((x) => x.toFixed(0).padStart(7)).join(' ')}   median ${median(xs).toFixed(0)} req/s`;
  process.stdout.write(
    [
      `Nest hello route, ${ROUNDS} rounds x ${REQUESTS} requests, ${CONCURRENCY} in flight, client and servers in one process`,
      line('Nest on Fastify', rates.fastify),
      line('Nest on Express', rates.express),
      `ratio Fastify/Express: ${(median(rates.fastify) / median(rates.express)).toFixed(2)}x`,
      '',
    ].join('\n'),
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
  process.exit(1);
});
