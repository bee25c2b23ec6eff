// End-to-end check of hestami's oRPC RPC transport with an UNMODIFIED
// @orpc/client RPCLink (pinned in package.json to the 1.x version the
// protocol goldens were captured with). Run by internal/server/orpc_client_test.go:
//
//   BASE_URL=http://127.0.0.1:PORT OWNER_TOKEN=... STAFF_TOKEN=... \
//   ORG_ID=<org uuid> PROPERTY_ID=<property uuid> node client.mjs
//
// Prints one line per check ("ok   - ..." or "FAIL - ...") and exits non-zero
// if any check failed. Nothing here works around the server: every value is
// what the stock client hands to an application.

import { createORPCClient, ORPCError, isDefinedError, ORPC_CLIENT_PACKAGE_VERSION } from '@orpc/client'
import { RPCLink } from '@orpc/client/fetch'
import { BatchLinkPlugin } from '@orpc/client/plugins'
import { randomUUID } from 'node:crypto'
import { isDeepStrictEqual, inspect } from 'node:util'

function env(name) {
  const v = process.env[name]
  if (!v) {
    console.error(`client.mjs: environment variable ${name} is required`)
    process.exit(2)
  }
  return v
}

const BASE_URL = env('BASE_URL').replace(/\/$/, '')
const OWNER_TOKEN = env('OWNER_TOKEN')
const STAFF_TOKEN = env('STAFF_TOKEN')
const ORG_ID = env('ORG_ID')
const PROPERTY_ID = env('PROPERTY_ID')
const RPC_URL = BASE_URL + '/api/v1/rpc'

// ---------------------------------------------------------------- clients

// The idempotency key travels in the client context; the link's headers
// function turns it into the Idempotency-Key header. (The other way, the
// `idempotencyKey` input field, needs nothing from the link.)
function headersFor(token) {
  return (options) => {
    const h = { authorization: `Bearer ${token}`, 'x-org-id': ORG_ID }
    const key = options.context?.idempotencyKey
    if (key) h['idempotency-key'] = key
    return h
  }
}

// Every HTTP request any link sends, for counting.
const sent = []
function countingFetch(label) {
  return (request, init) => {
    sent.push({ label, method: request.method, url: request.url, batch: request.headers.get('x-orpc-batch') })
    return globalThis.fetch(request, init)
  }
}

function makeClient(token, label, plugins = []) {
  return createORPCClient(new RPCLink({ url: RPC_URL, headers: headersFor(token), fetch: countingFetch(label), plugins }))
}

const owner = makeClient(OWNER_TOKEN, 'owner')
const staff = makeClient(STAFF_TOKEN, 'staff')

// ---------------------------------------------------------------- helpers

class Mismatch extends Error {}

function fail(msg) {
  throw new Mismatch(msg)
}

function show(v) {
  return inspect(v, { depth: 6, breakLength: Infinity })
}

function expect(cond, msg) {
  if (!cond) fail(msg)
}

function expectEqual(got, want, what) {
  if (!isDeepStrictEqual(got, want)) fail(`${what}: got ${show(got)}, want ${show(want)}`)
}

function expectDate(v, what) {
  expect(v instanceof Date, `${what}: want a JS Date instance, got ${typeof v} ${show(v)}`)
  expect(!Number.isNaN(v.getTime()), `${what}: Invalid Date`)
}

function describeError(e) {
  if (e instanceof ORPCError) {
    return `ORPCError ${show(e.code)} status=${e.status} defined=${e.defined} message=${show(e.message)} data=${show(e.data)}`
  }
  if (e instanceof Error) return `${e.stack}${e.cause ? `\n  cause: ${e.cause?.stack ?? show(e.cause)}` : ''}`
  return `thrown ${typeof e}: ${show(e)}`
}

// expectORPCError awaits a call that must throw an ORPCError and returns it.
async function expectORPCError(promise, what) {
  let out
  try {
    out = await promise
  } catch (e) {
    if (!(e instanceof ORPCError)) fail(`${what}: want an ORPCError, got ${describeError(e)}`)
    return e
  }
  fail(`${what}: want an ORPCError, the call succeeded with ${show(out)}`)
}

async function ok(promise, what) {
  try {
    return await promise
  } catch (e) {
    fail(`${what}: the call failed: ${describeError(e)}`)
  }
}

let passed = 0
let failed = 0
async function check(name, fn) {
  try {
    const detail = await fn()
    passed++
    console.log(`ok   - ${name}${detail ? ` (${detail})` : ''}`)
  } catch (e) {
    failed++
    const msg = e instanceof Mismatch ? e.message : `unexpected exception: ${describeError(e)}`
    console.log(`FAIL - ${name}: ${msg}`)
  }
}

function need(v, what) {
  if (v === undefined) fail(`skipped: ${what} was not created by an earlier check`)
  return v
}

// ---------------------------------------------------------------- checks

const run = randomUUID().slice(0, 8)
const state = {}

await check('property.v1.create (Idempotency-Key header from the link headers function)', async () => {
  const input = {
    name: `E2E house ${run}`,
    type: 'CONDO',
    address: { line1: '1 Main St', city: 'Springfield', country: 'US' },
  }
  const p = await ok(owner.property.v1.create(input, { context: { idempotencyKey: `prop-${run}` } }), 'property.v1.create')
  expect(typeof p?.id === 'string' && p.id !== '', `property id: got ${show(p?.id)}`)
  expectEqual(p.name, input.name, 'property name')
  expectEqual(p.type, 'CONDO', 'property type')
  expectEqual(p.organizationId, ORG_ID, 'property organizationId')
  expectDate(p.createdAt, 'property createdAt')
  expectDate(p.updatedAt, 'property updatedAt')
  // The same key again is a replay: the same property, not a second one.
  const again = await ok(owner.property.v1.create(input, { context: { idempotencyKey: `prop-${run}` } }), 'property.v1.create retry')
  expectEqual(again, p, 'replayed property.v1.create result')
  state.property = p
  return `id ${p.id}`
})

const dueAt = new Date('2030-05-06T07:08:09.123Z')

await check('case.v1.create with a Date dueAt (idempotencyKey in the input) returns Dates', async () => {
  const input = {
    propertyId: PROPERTY_ID,
    title: `Leaking roof ${run}`,
    description: 'water in the attic',
    category: 'REPAIR',
    priority: 'HIGH',
    dueAt,
    idempotencyKey: `case-${run}`,
  }
  const c = await ok(owner.case.v1.create(input), 'case.v1.create')
  expect(typeof c?.id === 'string' && c.id !== '', `case id: got ${show(c?.id)}`)
  expectEqual(c.status, 'INTAKE', 'new case status')
  expectEqual(c.title, input.title, 'case title')
  expectEqual(c.priority, 'HIGH', 'case priority')
  expectEqual(c.propertyId, PROPERTY_ID, 'case propertyId')
  expectDate(c.dueAt, 'case dueAt')
  expectEqual(c.dueAt.getTime(), dueAt.getTime(), `case dueAt (${c.dueAt.toISOString()} vs ${dueAt.toISOString()})`)
  expectDate(c.createdAt, 'case createdAt')
  expectDate(c.updatedAt, 'case updatedAt')
  expectDate(c.statusChangedAt, 'case statusChangedAt')
  expect(Math.abs(c.createdAt.getTime() - Date.now()) < 10 * 60 * 1000, `case createdAt ${c.createdAt.toISOString()} is not near now`)
  // Replay through the input key: same case.
  const again = await ok(owner.case.v1.create(input), 'case.v1.create retry')
  expectEqual(again, c, 'replayed case.v1.create result')
  // A second case, left in INTAKE, for the list and batch checks.
  const other = await ok(owner.case.v1.create({ propertyId: PROPERTY_ID, title: `Broken gate ${run}` }, { context: { idempotencyKey: `case2-${run}` } }), 'second case.v1.create')
  expectEqual(other.status, 'INTAKE', 'second case status')
  expectEqual(other.priority, 'NORMAL', 'second case default priority')
  expect(other.dueAt === undefined, `second case has no dueAt, got ${show(other.dueAt)}`)
  state.case = c
  state.other = other
  return `${c.number} dueAt ${c.dueAt.toISOString()}`
})

await check('case.v1.updateStatus by staff INTAKE→ASSESSMENT, retried with the same key', async () => {
  const c = need(state.case, 'the case')
  const opts = { context: { idempotencyKey: `move-${run}` } }
  const input = { id: c.id, status: 'ASSESSMENT', reason: 'triage done' }
  const moved = await ok(staff.case.v1.updateStatus(input, opts), 'case.v1.updateStatus')
  expectEqual(moved.id, c.id, 'updated case id')
  expectEqual(moved.status, 'ASSESSMENT', 'updated case status')
  expectDate(moved.statusChangedAt, 'updated statusChangedAt')
  expect(moved.statusChangedAt.getTime() >= c.statusChangedAt.getTime(), 'statusChangedAt went backwards')
  expectEqual(moved.dueAt?.getTime(), dueAt.getTime(), 'dueAt after the status change')
  const again = await ok(staff.case.v1.updateStatus(input, opts), 'case.v1.updateStatus retry')
  expectEqual(again, moved, 'retried case.v1.updateStatus result')
  state.moved = moved
  return `status ${moved.status}, retry identical`
})

await check('case.v1.list status filter includes / excludes the case', async () => {
  const c = need(state.moved, 'the ASSESSMENT case')
  const inc = await ok(owner.case.v1.list({ status: ['ASSESSMENT'] }), 'case.v1.list ASSESSMENT')
  expect(Array.isArray(inc?.items), `list items: got ${show(inc)}`)
  const found = inc.items.find((x) => x.id === c.id)
  expect(found, `case ${c.id} missing from list {status:['ASSESSMENT']}: ${show(inc.items.map((x) => [x.id, x.status]))}`)
  expect(inc.items.every((x) => x.status === 'ASSESSMENT'), `list {status:['ASSESSMENT']} holds other statuses: ${show(inc.items.map((x) => x.status))}`)
  expectDate(found.createdAt, 'listed createdAt')
  expectEqual(found.dueAt?.getTime(), dueAt.getTime(), 'listed dueAt')
  const exc = await ok(owner.case.v1.list({ status: ['INTAKE', 'CLOSED'] }), 'case.v1.list INTAKE,CLOSED')
  expect(Array.isArray(exc?.items), `list items: got ${show(exc)}`)
  expect(!exc.items.some((x) => x.id === c.id), `case ${c.id} (ASSESSMENT) listed under {status:['INTAKE','CLOSED']}`)
  if (state.other) expect(exc.items.some((x) => x.id === state.other.id), `INTAKE case ${state.other.id} missing from {status:['INTAKE','CLOSED']}`)
  return `${inc.items.length} in ASSESSMENT, ${exc.items.length} in INTAKE/CLOSED`
})

await check('validation error: case.v1.create with empty title and bad priority', async () => {
  const e = await expectORPCError(
    owner.case.v1.create({ propertyId: PROPERTY_ID, title: '', priority: 'SOMETIME' }, { context: { idempotencyKey: `bad-${run}` } }),
    'case.v1.create invalid',
  )
  expectEqual(e.code, 'VALIDATION_FAILED', 'error code')
  expectEqual(e.status, 400, 'error status')
  expect(typeof e.message === 'string' && e.message !== '', `error message: ${show(e.message)}`)
  const d = e.data
  expect(d && typeof d === 'object', `error data: ${show(d)}`)
  expect(Array.isArray(d.field_errors), `data.field_errors: ${show(d.field_errors)}`)
  const fields = d.field_errors.map((f) => f.field)
  expect(fields.includes('title'), `data.field_errors does not name title: ${show(d.field_errors)}`)
  expect(fields.includes('priority'), `data.field_errors does not name priority: ${show(d.field_errors)}`)
  expect(Array.isArray(d.issues), `data.issues: ${show(d.issues)}`)
  for (const want of ['title', 'priority']) {
    const is = d.issues.find((i) => Array.isArray(i.path) && isDeepStrictEqual(i.path, [want]))
    expect(is, `data.issues has no issue with path ['${want}']: ${show(d.issues)}`)
    expect(typeof is.message === 'string' && is.message !== '', `issue ${want} message: ${show(is)}`)
  }
  expect(d.issues.every((i) => Array.isArray(i.path)), `every issue needs a path array: ${show(d.issues)}`)
  expectEqual(d.type, 'validation', 'data.type')
  expect(typeof d.trace_id === 'string' && d.trace_id !== '', `data.trace_id: ${show(d.trace_id)}`)
  return `fields ${fields.join(',')}`
})

await check('typed INVALID_TRANSITION: ASSESSMENT→CLOSED (idempotencyKey in the input)', async () => {
  const c = need(state.moved, 'the ASSESSMENT case')
  const e = await expectORPCError(
    staff.case.v1.updateStatus({ id: c.id, status: 'CLOSED', reason: 'done?', idempotencyKey: `close-${run}` }),
    'case.v1.updateStatus CLOSED',
  )
  expectEqual(e.code, 'INVALID_TRANSITION', 'error code')
  expectEqual(e.status, 409, 'error status')
  expectEqual(e.defined, true, 'error.defined')
  expect(isDefinedError(e), 'isDefinedError(e) is false')
  expect(typeof e.data?.trace_id === 'string' && e.data.trace_id !== '', `data.trace_id: ${show(e.data?.trace_id)}`)
  expect(Array.isArray(e.data?.field_errors) && Array.isArray(e.data?.issues), `data.field_errors / data.issues: ${show(e.data)}`)
  // The case did not move.
  const now = await ok(owner.case.v1.get({ id: c.id }), 'case.v1.get after the refused transition')
  expectEqual(now.status, 'ASSESSMENT', 'status after the refused transition')
  return `trace ${e.data.trace_id}`
})

await check('unknown procedure case.v1.nope → ORPCError NOT_FOUND 404', async () => {
  const e = await expectORPCError(owner.case.v1.nope(), 'case.v1.nope')
  expectEqual(e.code, 'NOT_FOUND', 'error code')
  expectEqual(e.status, 404, 'error status')
  const e2 = await expectORPCError(owner.nothing.v9.here({ a: 1 }), 'nothing.v9.here')
  expectEqual([e2.code, e2.status], ['NOT_FOUND', 404], 'error code/status of nothing.v9.here')
  return `message ${show(e.message)}`
})

for (const mode of ['streaming', 'buffered']) {
  await check(`batch (${mode}): case.v1.get ×2 + property.v1.get + a failing get in one HTTP request`, async () => {
    const c = need(state.moved, 'the ASSESSMENT case')
    const other = need(state.other, 'the second case')
    const batch = makeClient(OWNER_TOKEN, `batch-${mode}`, [
      new BatchLinkPlugin({ mode, groups: [{ condition: () => true, context: {} }] }),
    ])
    const before = sent.length
    const results = await Promise.allSettled([
      batch.case.v1.get({ id: c.id }),
      batch.case.v1.get({ id: other.number }),
      batch.property.v1.get({ id: PROPERTY_ID }),
      batch.case.v1.get({ id: randomUUID() }),
    ])
    const requests = sent.slice(before)
    expectEqual(requests.length, 1, `HTTP requests for the batch (${show(requests)})`)
    expectEqual(requests[0].batch, mode, 'x-orpc-batch header')
    expect(requests[0].url.endsWith('/__batch__'), `batch URL ${requests[0].url}`)
    const [r0, r1, r2, r3] = results
    for (const [i, r] of [r0, r1, r2].entries()) {
      expect(r.status === 'fulfilled', `batch item ${i} failed: ${r.reason && describeError(r.reason)}`)
    }
    expectEqual([r0.value.id, r0.value.status], [c.id, 'ASSESSMENT'], 'item 0 (case by id)')
    expectEqual(r0.value.dueAt?.getTime(), dueAt.getTime(), 'item 0 dueAt')
    expectDate(r0.value.createdAt, 'item 0 createdAt')
    expect(Array.isArray(r0.value.history) && r0.value.history.length === 2, `item 0 history: ${show(r0.value.history)}`)
    expectDate(r0.value.history[0].changedAt, 'item 0 history[0].changedAt')
    expectEqual([r1.value.id, r1.value.number, r1.value.status], [other.id, other.number, 'INTAKE'], 'item 1 (case by number)')
    expectEqual(r2.value.id, PROPERTY_ID, 'item 2 (property) id')
    expectDate(r2.value.createdAt, 'item 2 createdAt')
    expect(r3.status === 'rejected', `item 3 (unknown case) should fail, got ${show(r3.value)}`)
    expect(r3.reason instanceof ORPCError, `item 3: want an ORPCError, got ${describeError(r3.reason)}`)
    expectEqual([r3.reason.code, r3.reason.status], ['NOT_FOUND', 404], 'item 3 code/status')
    expect(typeof r3.reason.data?.trace_id === 'string' && r3.reason.data.trace_id !== '', `item 3 data.trace_id: ${show(r3.reason.data)}`)
    return `1 request to ${new URL(requests[0].url).pathname}`
  })
}

console.log(`orpc client ${ORPC_CLIENT_PACKAGE_VERSION} on node ${process.version}: ${passed} checks ok, ${failed} failing`)
if (failed > 0) process.exit(1)
