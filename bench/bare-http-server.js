#!/usr/bin/env node
/**
 * The floor under bench/rag-query.js's http way: the least any Node HTTP
 * server pays for a naive query on this machine. node:http, one keep-alive
 * pg pool, and per request: read and JSON.parse the body, send the engine's
 * own message (tenant setup + chunk search, DatabaseService.tenantReadMessage
 * and chunkSearchStatements from the build) for the query vector the client
 * computed, answer the rows as JSON. No framework, no auth, no embedding, no
 * fusion or re-rank, no logging, audit or metrics: `http / bare http` is what
 * Strata's whole pipeline costs over the floor, `bare http / raw engine SQL`
 * what Node's HTTP handling costs over the SQL. Started by bench/rag-query.js
 * with DATABASE_URL and PORT in its environment.
 */
'use strict';

const http = require('node:http');
const path = require('node:path');
const { Pool } = require('pg');

const dist = path.join(__dirname, '..', 'dist', 'src');
const { tenantReadMessage } = require(path.join(dist, 'database', 'database.service'));
const { chunkSearchStatements } = require(path.join(dist, 'rag', 'retrieval', 'retrieval.repository'));

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 20) });

const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (d) => parts.push(d));
  req.on('end', async () => {
    try {
      const { tenant, kb, vector, terms, limit, exact } = JSON.parse(Buffer.concat(parts).toString('utf8'));
      const results = await pool.query(tenantReadMessage(tenant, chunkSearchStatements(tenant, kb, { vector, terms, limit, exact })));
      const rows = Array.isArray(results) ? results[results.length - 1].rows : results.rows;
      const body = JSON.stringify({ status: 'success', data: { chunks: rows } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(err && err.message) }));
    }
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
