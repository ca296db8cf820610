/**
 * GENERATED FILE: DO NOT EDIT.
 * Source: mock-server/control-api.yaml. Regenerate with `npm run generate`;
 * the test suite fails when this file drifts from its source.
 */

export type paths = {
    "/__mock/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness, the state of each part the simulator depends on, and a summary of its state
         * @description Answers 200 while the simulator serves the public API. Used by the Docker HEALTHCHECK and by a
         *     load balancer in front of a fleet. `status` is `degraded` when a component other than the store
         *     has failed (`components`): for `images`, the image encoder could not be loaded, so image files
         *     answer 503 until a retry loads it, while tasks, credits and the control API work. It is
         *     `degraded` too while the store is full (Redis over `maxmemory`): reads work, requests that
         *     write are answered 503. While the store (Redis, for a fleet) is unreachable or does not answer,
         *     `status` is `unavailable` and the answer is 503: nothing can be served, and the replica recovers
         *     by itself when the store is back.
         */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/reset": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Back to the configured start state
         * @description Forgets every task, restores the configured keys and balances, rewinds the clock and the seeded
         *     randomness (so the same requests replay the same ids and outcomes), clears fault rules, rate-limit
         *     buckets and the journal.
         */
        post: operations["resetSimulator"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/accounts/{apiKey}": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /**
                 * @description The API key itself (URL-encoded). It is never echoed back in clear.
                 * @example sk-dreamcore-dev
                 */
                apiKey: components["parameters"]["ApiKey"];
            };
            cookie?: never;
        };
        /**
         * Read a key's balance and its ledger
         * @description The balance, after settling every task whose time has come, and the ledger's entries (set, debit, refund), oldest first.
         */
        get: operations["getAccount"];
        /**
         * Set a key's balance (creating the key)
         * @description Creates the key if it is new. The change is recorded in the ledger as a `set` entry. A tenant
         *     credential sets the keys its tenant has, and creates names that start with `sk-<tenant id>-`
         *     only (its namespace; at most `--tenant-max-keys` keys in all); no world but that tenant's may
         *     create a name of its namespace. 403 for any other name, saying why.
         *     A new key past the world's `--max-accounts`, or past its tenant's share of the memory budget, is
         *     refused with 429; while the whole budget is full, with 503.
         */
        put: operations["putAccount"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/tasks": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        /**
         * List tasks, newest first
         * @description Every task of every key, with the simulator's internals (plan, polls, price), filterable.
         */
        get: operations["listTasks"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/tasks/{taskId}": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /** @example sd45_b83bf7c0c51a4c71 */
                taskId: components["parameters"]["TaskId"];
            };
            cookie?: never;
        };
        /**
         * Inspect one task
         * @description The task as its owner would see it, plus the simulator's internals. Not counted as a status poll.
         */
        get: operations["getTask"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/tasks/{taskId}/succeed": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /** @example sd45_b83bf7c0c51a4c71 */
                taskId: components["parameters"]["TaskId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End an in-progress task with SUCCESS now
         * @description 409 if the task has already ended (terminal states never change).
         */
        post: operations["succeedTask"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/tasks/{taskId}/fail": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /** @example sd45_b83bf7c0c51a4c71 */
                taskId: components["parameters"]["TaskId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End an in-progress task with FAILED now (refunding it)
         * @description The task's credits are refunded exactly, as for any failure. 409 if it has already ended.
         */
        post: operations["failTask"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/clock": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        /**
         * Read the simulator's clock
         * @description `virtual` clocks move only when advanced; `real` clocks follow the system time plus any advance.
         */
        get: operations["getClock"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/clock/advance": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Move the clock forward
         * @description Tasks whose time comes during the jump end (and failures refund) as if the time had passed.
         */
        post: operations["advanceClock"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/faults": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        /**
         * List fault rules
         * @description Active rules in the order they are tried (the first that matches a request acts), in pages: a
         *     world holds at most `--max-rules` of them.
         */
        get: operations["listFaultRules"];
        put?: never;
        /**
         * Add a fault rule
         * @description For clients that cannot send headers. A rule matches on method, path and key, and acts with an
         *     error status, a network fault, or (on generate) a task scenario, each optionally after a delay;
         *     or only with a delay. `times` makes it act on the next N matching requests and then retire;
         *     `probability` makes it act on a share of them, drawn from the seeded random source. A rule any
         *     part of which could not act (a status with a task, a task on the status route; FaultAction says
         *     what combines) is refused with 400, naming the field and why. A request's X-Mock-* headers and
         *     the rules compose as docs/guides/qa.md ("Headers and rules together") says.
         *     A rule past the world's `--max-rules`, or past its tenant's share of the memory budget, is refused
         *     with 429; while the whole budget is full, with 503.
         */
        post: operations["createFaultRule"];
        /**
         * Remove every fault rule
         * @description Requests behave normally again.
         */
        delete: operations["clearFaultRules"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/faults/{ruleId}": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /** @example rule_1 */
                ruleId: string;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove one fault rule
         * @description 404 if no rule has this id.
         */
        delete: operations["deleteFaultRule"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/journal": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        /**
         * Recent requests and responses
         * @description The most recent requests to the public API and the files, newest first, with their responses.
         *     Keys are redacted; bodies are truncated. The journal keeps a bounded number of entries
         *     (`--journal-size`).
         */
        get: operations["getJournal"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/drift": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        /**
         * What the proxy (or a replay) found departing from openapi.yaml
         * @description In proxy mode (`--proxy`) every request and answer is checked against openapi.yaml on the way
         *     through, and in replay mode (`--replay`) every replayed answer: the counts by place in the spec
         *     (a JSON pointer) and kind, each marked documented or inferred, the last examples, and the
         *     credit guard. Keys never appear. `mode: off` when the simulator answers itself.
         */
        get: operations["getDrift"];
        put?: never;
        post?: never;
        /**
         * Forget the drift summary
         * @description The counts start again from zero (the journal's entries keep their findings; the credit guard is kept).
         */
        delete: operations["clearDrift"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/scenario": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add a scenario's fault rules
         * @description Adds the rules in order, after the rules in force, each checked as `POST /__mock/faults` checks
         *     one; if any is refused, none is added (400 naming it, `body.rules[n]...`; 429 when they would
         *     take the world past `--max-rules` or its tenant's share of the memory budget, 503 while the
         *     whole budget is full). `--scenario <file>` loads one at start and puts it back at every reset.
         */
        post: operations["loadScenario"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/tenants": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        /**
         * List tenants
         * @description The operator sees every tenant (the default world included), in pages, oldest first; a tenant
         *     credential sees its own tenant only. Tenants idle longer than their timeout are dropped first.
         */
        get: operations["listTenants"];
        put?: never;
        /**
         * Create a tenant
         * @description An isolated world: its own API keys and balances, tasks, fault rules, virtual time, random
         *     streams, rate-limit buckets and journal. Answers with fresh API keys and the tenant's
         *     credential (`token`), shown once: send it as `X-Mock-Token` to control this tenant and nothing
         *     else. Open to anyone who can reach the control API, without X-Mock-Token (creating a world
         *     changes no other), unless the simulator runs with `--tenant-creation operator`; sending the
         *     control token always works. 503 when `--max-tenants` are held, or while the memory budget is
         *     full; 429 when a tenant's share of it could not even hold its keys.
         *
         *     A caller without the control token (by its address: callers behind one proxy share one) has a
         *     share: `--tenant-creation-rate` creations per window and `--max-tenants-per-caller` live
         *     tenants (429 with Retry-After beyond either), at most `--tenant-max-keys` keys and an
         *     `idleTimeoutS` of at most `--tenant-max-idle-timeout` (400 beyond). The operator has none.
         */
        post: operations["createTenant"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/tenants/{tenantId}": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /** @example t-0123456789ab */
                tenantId: components["schemas"]["TenantId"];
            };
            cookie?: never;
        };
        /**
         * Read a tenant
         * @description 403 for a tenant credential naming another tenant.
         */
        get: operations["getTenant"];
        put?: never;
        post?: never;
        /**
         * Drop a tenant
         * @description Its keys stop working at once; everything it held is forgotten. The default world cannot be dropped (409).
         */
        delete: operations["deleteTenant"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/journal/wait": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        /**
         * Wait for a request to be journaled
         * @description Returns as soon as an entry matching the filters exists (newest first, at most `limit`), or
         *     after `timeoutMs` with no entries and `timed_out: true`. With `after`, only entries newer than
         *     that id count, so a test can wait for the next matching request. An entry is written before its
         *     response's last byte is sent, so a request whose answer a client has is found at once. A held
         *     wait costs nothing while no matching entry comes. At most `--max-journal-waits` (64) waits are
         *     held at once per world by each simulator process: one more is answered 429 with Retry-After.
         *     A wait held on a tenant that is dropped meanwhile is answered 410.
         */
        get: operations["waitForJournal"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/invariants": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        /**
         * Check the books
         * @description Checks the world's books and says what is wrong, if anything: every balance equals the sum of
         *     its ledger's entries (its start plus debits and refunds; older entries carried forward) and is
         *     never negative; every task was debited once, by its price; a failed task was refunded once, by
         *     its price, and no other task was; no ledger entry names a task the world never had. The fleet
         *     tests ask it after killing a replica or stopping Redis; QA can too. 200 whatever it finds: `ok`
         *     says whether the books hold.
         */
        get: operations["getInvariants"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/accounts": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        /**
         * List the world's accounts with their newest ledger entries
         * @description Every account of the world (keys redacted: the simulator holds none in clear), ordered by
         *     label, in pages, each with its newest `ledger` entries (after any carried-forward entry).
         *     Setting a balance still takes the key itself (`PUT /__mock/accounts/{apiKey}`).
         */
        get: operations["listAccounts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/journal/stream": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        /**
         * Follow the journal live (server-sent events)
         * @description A `text/event-stream` of the world's new journal entries, oldest first, as they are written:
         *     each is an `entry` event whose `id` is the entry's id and whose `data` is the JournalEntry as
         *     JSON. Filters as for `GET /__mock/journal`. It starts after the newest entry (or after `after`,
         *     or after the `Last-Event-ID` a reconnecting EventSource sends), so nothing is missed between
         *     reading a page and following. A comment line every 15 seconds keeps proxies from closing it.
         *     When more than 1000 entries arrived at once, the oldest of them are not sent: a `gap` event
         *     says which ids to read with `GET /__mock/journal?before=` instead (the stream never buffers
         *     without bound). A `reset` event says the journal was cleared (POST /__mock/reset). The stream
         *     ends when the client goes away, or with a `dropped` event (`data`: `tenant`, `message`) when
         *     its tenant is dropped. An open stream counts as activity of its tenant (the idle time-out).
         *     At most `--max-journal-streams` (64) streams are open at once per world in each simulator
         *     process: one more is answered 429 with Retry-After.
         */
        get: operations["streamJournal"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/report": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        /**
         * The verdict on the client under test
         * @description Did the client under test survive the bad day? For the world (the default world, the tenant
         *     named by `X-Mock-Tenant`, or a tenant credential's own tenant), since its last reset: the
         *     verdict rules its requests broke (findings, with examples from the journal), the outcomes of
         *     the public API it met and missed (coverage), the credits it spent (the ledger's, exactly) and
         *     what the judge's bounded memory could not see. Every request to the public API is observed when
         *     it is answered (or when its connection closes without an answer), on every replica of a fleet.
         *     The rules, their defaults and their reasons: docs/reference/verdict-rules.md.
         *
         *     `format=junit` gives JUnit XML (one test case per rule) for a CI server, `format=text` a plain
         *     summary for a terminal. 404 when the verdict is off (`--report off`) or the simulator does not
         *     answer itself (proxy and replay modes).
         */
        get: operations["getReport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Metrics in the Prometheus text format
         * @description Counters and histograms of this process (requests by operationId, status and injected or not;
         *     durations; faults injected by source and kind; store operation durations by backend), and
         *     figures read from the store at scrape time (tasks created and settled by outcome, in progress;
         *     credits debited and refunded; journal entries and bytes), summed over every world, so that
         *     replicas sharing one store report the same. Labels are operationIds, status codes and fixed
         *     words: never a key, a path or a tenant. The operator's only (a tenant credential gets 403).
         */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/console": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The QA console (a web page)
         * @description One page, served from the simulator's package, that shows the journal live, the verdict on
         *     the client (the report), accounts and ledgers, tasks, fault rules, the clock, tenants and, in
         *     proxy and replay modes, drift. The page itself holds no data, so it is
         *     served without a token; every call it makes is a control API call and needs the token (or a
         *     tenant credential) as any other. Its Content-Security-Policy allows only the simulator itself.
         */
        get: operations["getConsole"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/__mock/console/{asset}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A script or style sheet of the console
         * @description Built by `npm run build` into `dist/console/`.
         */
        get: operations["getConsoleAsset"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/docs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The API reference (a web page)
         * @description Both documents, openapi.yaml and control-api.yaml, rendered by Swagger UI (served from the
         *     swagger-ui-dist package, no other host), with each element's provenance shown and "Try it
         *     out" against this simulator (the dev key filled in when it is on).
         */
        get: operations["getDocs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/docs/{document}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One of the two documents, as the reference page shows it
         * @description The document as JSON, dereferenced, with `servers` replaced by this simulator's own address and
         *     a provenance line (documented by the provider, with its quote, or inferred, and why) put in
         *     front of the description of every operation, parameter, response and schema property that
         *     carries `x-provenance`.
         */
        get: operations["getDocsDocument"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/docs/assets/{asset}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A file of the reference page (Swagger UI's, or the page's own script)
         * @description Served from the swagger-ui-dist package, or the page's own start script.
         */
        get: operations["getDocsAsset"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/files/{taskId}/{file}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Download an image of a successful task
         * @description The URLs in a SUCCESS task's `response` point here. JPEG, at the exact pixel size the upstream
         *     produces for the task's aspect ratio and quality, deterministic per task. No key is needed (the
         *     upstream's links are signed URLs). Links expire like the upstream's, 24 hours after the task
         *     succeeded by default (`--image-ttl`), on the simulator's clock.
         */
        get: operations["getTaskImage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
};
export type webhooks = Record<string, never>;
export type components = {
    schemas: {
        /** @enum {integer} */
        Ok: 200 | 201;
        /** @enum {string} */
        Success: "success";
        HealthEnvelope: {
            /**
             * @description The HTTP status (503 while the store is unreachable).
             * @enum {integer}
             */
            code: 200 | 503;
            /** @enum {string} */
            message: "success" | "unavailable";
            data: {
                /**
                 * @description `unavailable` (HTTP 503) when the store is unreachable: nothing can be served; `degraded`
                 *     (HTTP 200) when another component has failed, or the store is full: the public API still
                 *     works, in part.
                 * @enum {string}
                 */
                status: "ok" | "degraded" | "unavailable";
                version: string;
                /**
                 * @description The seed of the default world. Only shown to callers the control API lets in (the control
                 *     token, when one is configured): it makes task ids predictable.
                 */
                seed?: string;
                /** @description Tasks of the default world (absent while the store is unreachable). */
                tasks?: number;
                clock?: components["schemas"]["Clock"];
                components: components["schemas"]["HealthComponents"];
                memory?: components["schemas"]["MemoryBudget"];
            };
        };
        /**
         * @description The memory store's budget (docs/reference/resource-model.md): what every world together may
         *     hold, what they hold now by kind, and (only for callers the control API lets in) the worlds
         *     holding the most. Absent on the Redis store, whose memory is Redis's (`maxmemory`).
         */
        MemoryBudget: {
            /** @description `--memory-budget-mb`, in bytes. */
            limit_bytes: number;
            /** @description What every world holds, as charged. */
            used_bytes: number;
            /** @description What one tenant may hold (`--tenant-memory-share` of the budget). */
            tenant_limit_bytes: number;
            /** @description What every world holds, by kind (`world`, `journal`, `rules`, `accounts`, `tasks`, ...). */
            by_kind: {
                [key: string]: number;
            };
            /** @description Worlds drawing from the budget (the default one too). */
            worlds: number;
            /** @description The worlds holding the most, largest first. */
            top?: {
                id: components["schemas"]["TenantId"];
                used_bytes: number;
                by_kind: {
                    [key: string]: number;
                };
            }[];
        };
        /** @description Each part the simulator depends on, as it is at the time of the request. */
        HealthComponents: {
            images: components["schemas"]["ComponentHealth"];
            store: components["schemas"]["ComponentHealth"];
        };
        /**
         * @description `not_loaded`: not needed yet (loaded on first use, or shortly after start); `degraded`: it works
         *     in part, `error` says what does not (the store: Redis is full, reads work and writes are refused
         *     with 503); `failed`: the last attempt failed, `error` says why.
         */
        ComponentHealth: {
            /** @enum {string} */
            status: "ok" | "not_loaded" | "degraded" | "failed";
            /**
             * @description Why it failed, in one short line (never a stack trace or a file path).
             * @example EMFILE: too many open files, open <path>
             */
            error?: string;
        };
        ResetEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: {
                /** @enum {boolean} */
                reset: true;
                accounts: number;
            };
        };
        Account: {
            /** @description The key, redacted. */
            apiKey: string;
            balance: number;
            ledger: components["schemas"]["LedgerEntry"][];
        };
        LedgerEntry: {
            /** Format: date-time */
            at: string;
            /**
             * @description `carried_forward` comes first when older entries are no longer kept one by one (past
             *     10,000): its amount is their sum, so a balance is always the sum of the entries shown.
             * @enum {string}
             */
            kind: "set" | "debit" | "refund" | "carried_forward";
            /** @description Signed: negative for a debit. */
            amount: number;
            balance_after: number;
            task_id: string | null;
        };
        AccountEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: components["schemas"]["Account"];
        };
        AccountListEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: {
                /** @description Accounts in the world. */
                total: number;
                accounts: components["schemas"]["Account"][];
            };
        };
        AccountUpdate: {
            balance: number;
        };
        TaskView: {
            record: components["schemas"]["TaskRecord"];
            /** @description The owning key, redacted. */
            owner: string;
            /** @enum {string} */
            preset: "text-to-image-basic" | "text-to-image-high" | "edit-basic" | "edit-high" | "burst";
            price: number;
            polls: number;
            /** Format: date-time */
            settled_at: string | null;
            plan: {
                /** @enum {string} */
                outcome: "success" | "failed";
                error_message: string | null;
                /** Format: date-time */
                ready_at: string | null;
                complete_on_poll: number | null;
            };
        };
        TaskViewEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: components["schemas"]["TaskView"];
        };
        TaskListEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: {
                tasks: components["schemas"]["TaskView"][];
            };
        };
        FailTask: {
            error_message?: string;
        };
        Clock: {
            /** @enum {string} */
            kind: "real" | "virtual";
            /** @description Milliseconds since the Unix epoch. */
            now: number;
            /** Format: date-time */
            iso: string;
        };
        ClockEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: components["schemas"]["Clock"];
        };
        ClockAdvance: {
            ms: number;
        };
        /**
         * @description `reset`: the connection is reset (ECONNRESET); `empty`: the connection closes with no reply;
         *     `malformed`: 200 with a body that is not valid JSON; `hang`: no reply until the client gives up
         *     (closed after the configured maximum delay). In a rule: instead of answering, so not with
         *     `status` or `task`.
         * @enum {string}
         */
        NetworkFault: "reset" | "empty" | "malformed" | "hang";
        /**
         * @description How a task created by POST /api/generate ends (the X-Mock-Outcome family of headers). At least
         *     one property: an empty scenario would do nothing. In a rule: not with `status` or `fault`, and
         *     only when the rule's match reaches POST /api/generate; a rule that only shapes a task is spent
         *     when a task is created (a refused generate does not use it up), one with a delay on every
         *     request it matches. Refused (400) in proxy and replay modes: a real (or recorded) task cannot
         *     be shaped.
         */
        TaskScenario: {
            /** @enum {string} */
            outcome?: "success" | "failed";
            errorMessage?: string;
            durationMs?: number;
            completeOnPoll?: number;
        };
        /**
         * @description What a rule does: one of answer with a `status`, break the connection (`fault`), or shape the
         *     task a generate creates (`task`), each optionally held by `delayMs`; or only hold the answer
         *     (`delayMs` above 0). `message` goes only with a `status`, `retryAfterSeconds` only with status
         *     429 or 503. A rule any part of which could not act is refused with 400, saying why:
         *     `status`, `fault` and `task` exclude one another (a forced status or a broken connection answers
         *     before any task exists: make two rules), and a `task` needs a match that reaches
         *     POST /api/generate (not a path of /api/status, nor method GET alone).
         */
        FaultAction: {
            /**
             * @description An error status openapi.yaml lists for every route the rule matches (a rule without a
             *     path may force 400, 401, 429, 500 or 503; 402, 413 and 415 need the generate path, 404 a
             *     status path); any other is refused with 400.
             * @enum {integer}
             */
            status?: 400 | 401 | 402 | 404 | 413 | 415 | 429 | 500 | 503;
            /**
             * @description The forced status's `message`, verbatim (a recorded upstream message); only with `status`.
             *     Default: the simulator's own message for that status.
             */
            message?: string;
            fault?: components["schemas"]["NetworkFault"];
            /**
             * @description Hold the answer this long (capped by `--max-delay-ms`): alone, or with a status, a fault or
             *     a task. A request's own X-Mock-Delay-Ms wins over it.
             */
            delayMs?: number;
            /** @description Retry-After of a forced 429 or 503 (default 1); only with one of those statuses. */
            retryAfterSeconds?: number;
            task?: components["schemas"]["TaskScenario"];
        };
        FaultMatch: {
            /** @enum {string} */
            method?: "GET" | "POST";
            /** @enum {string} */
            path?: "/api/generate" | "/api/status";
            apiKey?: string;
        };
        FaultRuleInput: {
            match?: components["schemas"]["FaultMatch"];
            action: components["schemas"]["FaultAction"];
            times?: number;
            probability?: number;
        };
        FaultRule: {
            id: string;
            match: {
                method?: string;
                path?: string;
                /** @description Redacted. */
                apiKey?: string;
            };
            action: components["schemas"]["FaultAction"];
            times_left: number | null;
            probability: number | null;
            hits: number;
        };
        FaultRuleEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: components["schemas"]["FaultRule"];
        };
        FaultRulePageEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: {
                /** @description Rules in force in the world. */
                total: number;
                rules: components["schemas"]["FaultRule"][];
            };
        };
        FaultRuleListEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: {
                rules: components["schemas"]["FaultRule"][];
            };
        };
        RemovedEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: {
                removed: number;
            };
        };
        JournalEntry: {
            /** @description The operationId the request reached (null for an unknown path). */
            operation: string | null;
            /**
             * @description The request's headers that are safe to keep, and only those: `content-type`, `user-agent`,
             *     `prefer`, the `x-mock-*` fault headers (never `x-mock-token`), and `authorization` as the
             *     redacted key (`Bearer sk-d…-dev#d88b21`). Each value at most 256 characters.
             */
            request_headers?: {
                [key: string]: string;
            };
            id: number;
            /**
             * Format: date-time
             * @description On the simulator's clock.
             */
            at: string;
            method: string;
            path: string;
            query?: {
                [key: string]: string;
            };
            status: number;
            duration_ms: number;
            /** @description Redacted. */
            api_key: string | null;
            task_id: string | null;
            /** @description What forced this response, if anything (header, rule id, chaos, rate-limit). */
            injected: string | null;
            /** @description The JSON body sent, truncated. */
            request_body?: unknown;
            /** @description The JSON body answered, truncated. */
            response_body?: unknown;
            /** @description Proxy and replay modes: how this exchange departs from openapi.yaml (absent when it does not). */
            drift?: components["schemas"]["DriftFinding"][];
        };
        JournalEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: {
                capacity: number;
                /**
                 * @description Present when older entries may match: pass it as `before` to read the next page. A page
                 *     can hold fewer than `limit` entries while `next` is present (a read examines at most
                 *     20,000 entries, so a rare filter never stalls the simulator).
                 */
                next?: number;
                entries: components["schemas"]["JournalEntry"][];
            };
        };
        /**
         * @description The kinds of error the simulator's own endpoints answer: those of the public API (openapi.yaml's
         *     ErrorType), plus `gone` (410, an expired image link, or a journal follower whose tenant was
         *     dropped), `conflict` (409, a task that already ended), `forbidden` (403, a Host not served or a
         *     cross-site control request) and `quota_exceeded` (429, a limit of the world: its rules, its
         *     accounts, its tenant's share of the memory budget).
         * @enum {string}
         */
        ControlErrorType: "invalid_request" | "unauthorized" | "insufficient_credits" | "not_found" | "method_not_allowed" | "payload_too_large" | "unsupported_media_type" | "rate_limited" | "internal_error" | "forbidden" | "request_timeout" | "headers_too_large" | "service_unavailable" | "bad_gateway" | "gateway_timeout" | "gone" | "conflict" | "quota_exceeded";
        TenantId: string;
        TenantInput: {
            /** @description A label (a CI job name); not unique. */
            name?: string;
            /** @description Seed of the tenant's random streams (random if absent). A seeded tenant replays exactly, ids included. */
            seed?: string;
            /**
             * @description Default: the simulator's --clock.
             * @enum {string}
             */
            clock?: "real" | "virtual";
            /**
             * @description Default: the simulator's --latency.
             * @enum {string}
             */
            latency?: "realistic" | "fast" | "instant";
            /** @description Default: the simulator's. */
            failureRate?: number;
            /** @description One fresh API key per item (default one key with 1000 credits); at most `--tenant-max-keys` without the control token. */
            keys?: {
                balance: number;
            }[];
            /** @description Dropped after this long without a request (default: --tenant-idle-timeout); at most --tenant-max-idle-timeout without the control token. */
            idleTimeoutS?: number;
        };
        Tenant: {
            id: components["schemas"]["TenantId"];
            name: string;
            /** @description Shown to the operator and to the tenant itself. */
            seed?: string;
            /** @enum {string} */
            clock: "real" | "virtual";
            /** @enum {string} */
            latency: "realistic" | "fast" | "instant";
            failure_rate: number;
            /**
             * Format: date-time
             * @description System time.
             */
            created_at: string;
            /**
             * Format: date-time
             * @description System time of its last request.
             */
            last_seen_at: string;
            /** @description 0 for the default world, which is never dropped. */
            idle_timeout_s: number;
        };
        TenantEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: components["schemas"]["Tenant"];
        };
        TenantListEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: {
                /** @description Tenants this caller can see. */
                total: number;
                tenants: components["schemas"]["Tenant"][];
            };
        };
        CreatedTenantEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: {
                tenant: components["schemas"]["Tenant"];
                /** @description The tenant's credential, shown once. Send it as X-Mock-Token. */
                token: string;
                keys: {
                    /** @description A fresh API key, shown once. */
                    apiKey: string;
                    balance: number;
                }[];
            };
        };
        JournalWaitEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: {
                timed_out: boolean;
                entries: components["schemas"]["JournalEntry"][];
            };
        };
        InvariantsEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: {
                ok: boolean;
                checked: {
                    accounts: number;
                    tasks: number;
                    entries: number;
                };
                problems: {
                    /** @enum {string} */
                    kind: "balance_mismatch" | "negative_balance" | "missing_debit" | "double_debit" | "wrong_debit" | "missing_refund" | "double_refund" | "wrong_refund" | "refund_without_failure" | "orphan_entry";
                    /** @description The account's key, redacted. */
                    account?: string;
                    task_id?: string;
                    detail: string;
                }[];
            };
        };
        /**
         * @description The nearest `x-provenance` in openapi.yaml: `documented` (the provider's documentation says so) or `inferred` (our choice).
         * @enum {string}
         */
        Provenance: "documented" | "inferred";
        /** @description One way an exchange departs from openapi.yaml, with its place in the spec. */
        DriftFinding: {
            /**
             * @description The client's request, or the provider's answer.
             * @enum {string}
             */
            side: "request" | "response";
            /** @enum {string} */
            kind: "operation" | "status" | "header" | "content-type" | "body" | "parameter";
            /** @description Where in the exchange: `status`, `header Retry-After`, `body.data.task_id`, `query.task_id`. */
            where: string;
            message: string;
            provenance: components["schemas"]["Provenance"];
            /** @description A JSON pointer into openapi.yaml as written (its $refs followed), e.g. `#/components/headers/Retry-After`. */
            pointer: string;
            /** @description The failing keyword's path in the checked schema (Ajv's), for a schema finding. */
            schema_path?: string;
        };
        DriftPlace: {
            /** @enum {string} */
            side: "request" | "response";
            /** @enum {string} */
            kind: "operation" | "status" | "header" | "content-type" | "body" | "parameter";
            where: string;
            pointer: string;
            schema_path?: string;
            provenance: components["schemas"]["Provenance"];
            count: number;
            last_message: string;
            /**
             * Format: date-time
             * @description On the simulator's clock.
             */
            last_seen_at: string;
        };
        DriftSummary: {
            /**
             * @description `off`: the simulator answers itself, and nothing is checked here.
             * @enum {string}
             */
            mode: "proxy" | "replay" | "off";
            /** @description The live API's base URL (proxy), or the one the cassette was recorded from (replay). */
            target: string | null;
            /** @description --proxy-strict */
            strict: boolean;
            /** @description The credit guard (--proxy-max-credits); null when there is none. */
            credits: {
                limit: number;
                /** @description Credits of the generates forwarded that may have been charged (reserved before each). */
                forwarded: number;
            } | null;
            /**
             * Format: date-time
             * @description The first exchange checked, on the simulator's clock.
             */
            since?: string;
            exchanges: number;
            exchanges_with_drift: number;
            findings: number;
            /** @description Counts by place in the spec and kind, most frequent first. */
            by_place: components["schemas"]["DriftPlace"][];
            /** @description The last exchanges that drifted (20 at most), newest first. */
            recent: {
                /** Format: date-time */
                at: string;
                method: string;
                path: string;
                status: number;
                findings: components["schemas"]["DriftFinding"][];
            }[];
        };
        DriftEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: components["schemas"]["DriftSummary"];
        };
        /**
         * @description Fault rules to add in order, e.g. a recorded bad day (`npm run cassette -- to-scenario`): each
         *     recorded error a `times: 1` rule, each recorded task's outcome and duration a task-shaping rule.
         */
        Scenario: {
            /** @enum {string} */
            format: "dreamcore-scenario";
            /** @enum {integer} */
            version: 1;
            description?: string;
            /** @description Where the scenario came from. */
            source?: {
                cassette?: string;
                target?: string;
                recorded_at?: string;
                exchanges?: number;
            };
            rules: components["schemas"]["FaultRuleInput"][];
            /** @description What could not be expressed as a rule, and why. */
            notes?: string[];
        };
        ErrorResponse: {
            code: number;
            message: string;
            data: {
                type: components["schemas"]["ControlErrorType"];
                errors?: components["schemas"]["FieldError"][];
                /** @description On 503 and 429, the Retry-After value (a 429 of a world's count cap has none). */
                retry_after_seconds?: number;
            };
        };
        VerdictReportEnvelope: {
            code: components["schemas"]["Ok"];
            message: components["schemas"]["Success"];
            data: components["schemas"]["VerdictReport"];
        };
        /**
         * @description Did the client under test survive the bad day? One world (the default world or a tenant) since
         *     its last reset: the rules the client's requests broke (findings), the outcomes of the public API
         *     they met (coverage), the credits spent, and what the bounded memory of the judge could not see.
         *     Times are the world's clock. The rules are explained in docs/reference/verdict-rules.md.
         */
        VerdictReport: {
            /** @description `default`, or the tenant id. */
            world: string;
            /**
             * Format: date-time
             * @description The world's clock when the report was made.
             */
            now: string;
            /**
             * Format: date-time
             * @description The world's last reset, when the judge was told of it.
             */
            since: string | null;
            requests: {
                observed: number;
                /** @description Requests observed per operationId of openapi.yaml. */
                by_operation: {
                    [key: string]: number;
                };
                /** @description Requests whose connection the client closed before any answer (nothing injected). */
                unanswered: number;
                /** Format: date-time */
                first_at: string | null;
                /** Format: date-time */
                last_at: string | null;
            };
            summary: {
                /** @description Findings of severity error. */
                errors: number;
                /** @description Findings of severity warning. */
                warnings: number;
                /** @description Occurrences of all findings. */
                occurrences: number;
                /** @description Rules turned on. */
                rules_checked: number;
                outcomes_catalogued: number;
                /** @description Outcomes met, the unexpected ones included. */
                outcomes_seen: number;
                outcomes_missing: number;
                outcomes_unexpected: number;
            };
            /** @description Errors first, then warnings; by rule id within a severity. Empty when the client passed. */
            findings: components["schemas"]["VerdictFinding"][];
            /** @description Every rule, in catalogue order (one JUnit test case each). */
            rules: components["schemas"]["VerdictRuleResult"][];
            /**
             * @description Outcome ids: `generate:<status>`, `status:<status>`, `status:200:<task status>` for an answered
             *     poll, `<route>:fault:<network fault>`. The catalogue is derived from openapi.yaml and the faults
             *     the simulator injects; `seen` and `missing` never overlap and together are the catalogue, plus
             *     the outcomes met that it lacks (`unexpected`).
             */
            coverage: {
                seen: {
                    /** @example status:200:FAILED */
                    outcome: string;
                    count: number;
                    /** @description The catalogue does not list it. */
                    unexpected: boolean;
                }[];
                missing: string[];
            };
            /** @description Credits since the world's last reset, from the ledger; net is debited less refunded. */
            spend: {
                debited: number;
                refunded: number;
                net: number;
                by_key: {
                    /** @description The key, redacted. */
                    key: string;
                    debited: number;
                    refunded: number;
                    net: number;
                }[];
            };
            settings: components["schemas"]["VerdictSettings"];
            /** @description What the judge's bounded memory forgot, and what that means for the rules. */
            blind_spots: {
                /** @description Nothing was forgotten or ignored. */
                complete: boolean;
                forgotten: {
                    keys: number;
                    tasks: number;
                    requests: number;
                    generates: number;
                };
                /** @description Observations that came with a seq not above the last one folded, and were ignored. */
                out_of_order: number;
                /**
                 * @description Requests (and control events) recorded but dropped before the judge saw them: on a fleet, more
                 *     came in than the store keeps waiting to be folded.
                 */
                unseen: number;
                notes: string[];
            };
        };
        /** @enum {string} */
        VerdictSeverity: "error" | "warning";
        VerdictFinding: {
            /** @example retry-after-ignored */
            rule: string;
            severity: components["schemas"]["VerdictSeverity"];
            /** @description What the client did, how often, and what it should do instead. */
            message: string;
            occurrences: number;
            /** @description The first occurrences. */
            examples: {
                /** @description The request's journal entry (GET /__mock/journal), when the journal kept it. */
                journal_id: number | null;
                /** @example POST /api/generate 429 at 2025-06-14T05:21:12.000Z key sk-d…-dev */
                summary: string;
                /** @example sent 0 ms after a 429 that asked to wait 2 s */
                detail: string;
            }[];
            /** @example docs/reference/verdict-rules.md#retry-after-ignored */
            help: string;
        };
        VerdictRuleResult: {
            id: string;
            severity: components["schemas"]["VerdictSeverity"];
            enabled: boolean;
            summary: string;
            occurrences: number;
        };
        /** @description The settings the report was made with (defaults in docs/reference/verdict-rules.md). */
        VerdictSettings: {
            /** @description How many of each the judge remembers at once, forgetting the least recently seen. */
            caps: {
                keys: number;
                tasks: number;
                requests: number;
                generates: number;
            };
            rules: {
                "retry-after-ignored": {
                    enabled: boolean;
                    severity: components["schemas"]["VerdictSeverity"];
                    tolerance_ms: number;
                };
                "no-backoff": {
                    enabled: boolean;
                    severity: components["schemas"]["VerdictSeverity"];
                    min_steady_retries: number;
                    steady_tolerance_ms: number;
                    steady_tolerance_ratio: number;
                };
                "poll-too-fast": {
                    enabled: boolean;
                    severity: components["schemas"]["VerdictSeverity"];
                    min_interval_ms: number;
                };
                "poll-after-terminal": {
                    enabled: boolean;
                    severity: components["schemas"]["VerdictSeverity"];
                    max_polls_after_terminal: number;
                };
                "retry-unchanged-4xx": {
                    enabled: boolean;
                    severity: components["schemas"]["VerdictSeverity"];
                    statuses: number[];
                };
                "duplicate-generate": {
                    enabled: boolean;
                    severity: components["schemas"]["VerdictSeverity"];
                    window_ms: number;
                };
                "abandoned-task": {
                    enabled: boolean;
                    severity: components["schemas"]["VerdictSeverity"];
                    grace_ms: number;
                };
            };
        };
        FieldError: {
            /** @description Where the problem is: body.prompt, query.task_id, header.authorization, body (whole body). */
            field: string;
            message: string;
        };
        /**
         * @description `sd45_` followed by 16 lowercase hex digits.
         * @example sd45_b83bf7c0c51a4c71
         */
        TaskId: string;
        /**
         * @description `IN_PROGRESS` until the render ends, then `SUCCESS` or `FAILED`; terminal states never change.
         * @enum {string}
         */
        TaskStatus: "IN_PROGRESS" | "SUCCESS" | "FAILED";
        /** @description Primary text description (1500 characters max). */
        Prompt: string;
        /** @enum {string} */
        AspectRatio: "1:1" | "3:4" | "4:3" | "9:16" | "16:9";
        /**
         * @description `basic` (fast, 2K) or `high` (slower, 4K).
         * @enum {string}
         */
        Quality: "basic" | "high";
        /**
         * @description Sanitized snapshot of the payload submitted: the documented fields, with `imageUrls` only when
         *     non-empty and `numImages` only for the burst (the provider's sample omits the empty `imageUrls`).
         */
        RequestSnapshot: {
            prompt: components["schemas"]["Prompt"];
            aspectRatio: components["schemas"]["AspectRatio"];
            quality: components["schemas"]["Quality"];
            imageUrls?: string[];
            /** @enum {integer} */
            numImages?: 4;
        };
        TaskRecord: {
            task_id: components["schemas"]["TaskId"];
            status: components["schemas"]["TaskStatus"];
            request: components["schemas"]["RequestSnapshot"];
            /** @description Image URLs once the task is `SUCCESS` (four for the burst); empty before and on failure. */
            response: string[];
            /** @description Credits spent for the task (0 when refunded). */
            consumed_credits: number;
            /** @description Provider error string when status is `FAILED`; null otherwise. */
            error_message: string | null;
            /**
             * Format: date-time
             * @description UTC timestamp, to the second, recorded when the job entered the queue.
             */
            created_at: string;
        };
    };
    responses: {
        /**
         * @description A limit of this world (`quota_exceeded`), and nothing was changed: one more rule or account than
         *     `--max-rules` or `--max-accounts` allow, or more than its tenant's share of the memory budget
         *     (`--tenant-memory-share`; then with Retry-After). The message names the limit, its value and
         *     what to do.
         */
        QuotaExceeded: {
            headers: {
                /** @description Seconds to wait before retrying (a share of the memory budget only). */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /**
         * @description The simulator's shared store (Redis) is unreachable, or (a request that would add to its state)
         *     the simulator's memory budget is full; retry after Retry-After seconds. The message says which.
         */
        Unavailable: {
            headers: {
                /** @description Seconds to wait before retrying. */
                "Retry-After": number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /**
         * @description The world already has as many journal waits (`--max-journal-waits`) or streams
         *     (`--max-journal-streams`) as one simulator process holds for it; the message names the limit.
         *     Retry after Retry-After seconds (also `retry_after_seconds`).
         */
        TooManyFollowers: {
            headers: {
                /** @description Seconds to wait before retrying. */
                "Retry-After": number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /**
         * @description An error, in the same envelope as the public API's. 403 `forbidden`: a Host the simulator does
         *     not serve (`--allowed-hosts`, on every route), or a cross-site request to `/__mock`. 415: a
         *     state-changing control request whose body is not JSON.
         */
        Error: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
    };
    parameters: {
        /**
         * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
         *     tenant credential acts in its own tenant only: naming another is 403.
         * @example t-0123456789ab
         */
        TenantHeader: components["schemas"]["TenantId"];
        /**
         * @description At most this many (default 100, at most 1000).
         * @example 100
         */
        PageLimit: string;
        /**
         * @description Skip this many first.
         * @example 0
         */
        PageOffset: string;
        /**
         * @description `true`: only answers QA injected (a header, a rule, chaos, the rate limiter); `false`: only the
         *     others; or one source exactly (`header`, `chaos`, `rate-limit`, a rule id).
         * @example true
         */
        JournalInjected: string;
        /**
         * @description Only requests to this operation (an operationId of openapi.yaml or of the image files).
         * @example createGenerationTask
         */
        JournalOperation: string;
        /**
         * @description Free text, ignoring the case of ASCII letters: entries where it occurs in the path, the query,
         *     a body (as kept: the first 2,048 characters), a recorded header, the task id, the key's label,
         *     the operation or what injected it.
         * @example red fox
         */
        JournalText: string;
        /**
         * @description The API key itself (URL-encoded). It is never echoed back in clear.
         * @example sk-dreamcore-dev
         */
        ApiKey: string;
        /** @example sd45_b83bf7c0c51a4c71 */
        TaskId: components["schemas"]["TaskId"];
    };
    requestBodies: never;
    headers: never;
    pathItems: never;
};
export type $defs = Record<string, never>;
export interface operations {
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Healthy, or degraded. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthEnvelope"];
                };
            };
            403: components["responses"]["Error"];
            /** @description The store is unreachable. */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthEnvelope"];
                };
            };
        };
    };
    resetSimulator: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Reset done. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ResetEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            413: components["responses"]["Error"];
            415: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    getAccount: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /**
                 * @description The API key itself (URL-encoded). It is never echoed back in clear.
                 * @example sk-dreamcore-dev
                 */
                apiKey: components["parameters"]["ApiKey"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The account. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountEnvelope"];
                };
            };
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    putAccount: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /**
                 * @description The API key itself (URL-encoded). It is never echoed back in clear.
                 * @example sk-dreamcore-dev
                 */
                apiKey: components["parameters"]["ApiKey"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "balance": 30
                 *     }
                 */
                "application/json": components["schemas"]["AccountUpdate"];
            };
        };
        responses: {
            /** @description The account as it now is. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            413: components["responses"]["Error"];
            415: components["responses"]["Error"];
            429: components["responses"]["QuotaExceeded"];
            503: components["responses"]["Unavailable"];
        };
    };
    listTasks: {
        parameters: {
            query?: {
                /**
                 * @description Only this key's tasks.
                 * @example sk-dreamcore-dev
                 */
                apiKey?: string;
                /** @example IN_PROGRESS */
                status?: "IN_PROGRESS" | "SUCCESS" | "FAILED";
                /**
                 * @description At most this many (default 100, at most 10,000).
                 * @example 10
                 */
                limit?: string;
                /**
                 * @description Skip this many of the newest matching tasks first, to read page after page (the console's
                 *     pages). A read reaches the newest 10,000 matching tasks at most (`limit` is cut so that
                 *     `offset + limit` stays within them): past that, filter by key or status.
                 * @example 50
                 */
                offset?: string;
            };
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tasks. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TaskListEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    getTask: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /** @example sd45_b83bf7c0c51a4c71 */
                taskId: components["parameters"]["TaskId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The task. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TaskViewEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    succeedTask: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /** @example sd45_b83bf7c0c51a4c71 */
                taskId: components["parameters"]["TaskId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The task, now SUCCESS. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TaskViewEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            409: components["responses"]["Error"];
            413: components["responses"]["Error"];
            415: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    failTask: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /** @example sd45_b83bf7c0c51a4c71 */
                taskId: components["parameters"]["TaskId"];
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                /**
                 * @example {
                 *       "error_message": "The request failed because the output image may contain sensitive information."
                 *     }
                 */
                "application/json": components["schemas"]["FailTask"];
            };
        };
        responses: {
            /** @description The task, now FAILED. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TaskViewEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            409: components["responses"]["Error"];
            413: components["responses"]["Error"];
            415: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    getClock: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The clock. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ClockEnvelope"];
                };
            };
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    advanceClock: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "ms": 60000
                 *     }
                 */
                "application/json": components["schemas"]["ClockAdvance"];
            };
        };
        responses: {
            /** @description The clock after the move. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ClockEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            413: components["responses"]["Error"];
            415: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    listFaultRules: {
        parameters: {
            query?: {
                /**
                 * @description At most this many (default 100, at most 1000).
                 * @example 100
                 */
                limit?: components["parameters"]["PageLimit"];
                /**
                 * @description Skip this many first.
                 * @example 0
                 */
                offset?: components["parameters"]["PageOffset"];
            };
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of the rules, and how many there are. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FaultRulePageEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    createFaultRule: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FaultRuleInput"];
            };
        };
        responses: {
            /** @description The rule, with its id. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FaultRuleEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            413: components["responses"]["Error"];
            415: components["responses"]["Error"];
            429: components["responses"]["QuotaExceeded"];
            503: components["responses"]["Unavailable"];
        };
    };
    clearFaultRules: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description How many rules were removed. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RemovedEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            413: components["responses"]["Error"];
            415: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    deleteFaultRule: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /** @example rule_1 */
                ruleId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RemovedEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            413: components["responses"]["Error"];
            415: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    getJournal: {
        parameters: {
            query?: {
                /** @example POST */
                method?: "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | "OPTIONS";
                /** @example /api/generate */
                path?: string;
                /**
                 * @description An exact status (`429`) or a class (`4xx`, `5xx`).
                 * @example 4xx
                 */
                status?: string;
                /**
                 * @description Only requests made with this key.
                 * @example sk-dreamcore-dev
                 */
                apiKey?: string;
                /** @example sd45_b83bf7c0c51a4c71 */
                taskId?: string;
                /**
                 * @description `true`: only answers QA injected (a header, a rule, chaos, the rate limiter); `false`: only the
                 *     others; or one source exactly (`header`, `chaos`, `rate-limit`, a rule id).
                 * @example true
                 */
                injected?: components["parameters"]["JournalInjected"];
                /**
                 * @description Only requests to this operation (an operationId of openapi.yaml or of the image files).
                 * @example createGenerationTask
                 */
                operation?: components["parameters"]["JournalOperation"];
                /**
                 * @description Free text, ignoring the case of ASCII letters: entries where it occurs in the path, the query,
                 *     a body (as kept: the first 2,048 characters), a recorded header, the task id, the key's label,
                 *     the operation or what injected it.
                 * @example red fox
                 */
                q?: components["parameters"]["JournalText"];
                /**
                 * @description At most this many entries (default 100, at most 500 per page).
                 * @example 20
                 */
                limit?: string;
                /**
                 * @description Only entries older than this id; pass the previous page's `next` to read on.
                 * @example 501
                 */
                before?: string;
            };
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Journal entries, newest first. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JournalEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    getDrift: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The world's drift summary. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DriftEnvelope"];
                };
            };
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    clearDrift: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description How many checked exchanges were forgotten. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RemovedEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            413: components["responses"]["Error"];
            415: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    loadScenario: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "format": "dreamcore-scenario",
                 *       "version": 1,
                 *       "rules": [
                 *         {
                 *           "match": {
                 *             "method": "POST",
                 *             "path": "/api/generate"
                 *           },
                 *           "action": {
                 *             "status": 500,
                 *             "message": "The service encountered an unexpected internal error. Please retry later."
                 *           },
                 *           "times": 1
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["Scenario"];
            };
        };
        responses: {
            /** @description The rules added, with their ids. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FaultRuleListEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            413: components["responses"]["Error"];
            415: components["responses"]["Error"];
            429: components["responses"]["QuotaExceeded"];
            503: components["responses"]["Unavailable"];
        };
    };
    listTenants: {
        parameters: {
            query?: {
                /**
                 * @description At most this many (default 100, at most 1000).
                 * @example 100
                 */
                limit?: components["parameters"]["PageLimit"];
                /**
                 * @description Skip this many first.
                 * @example 0
                 */
                offset?: components["parameters"]["PageOffset"];
            };
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tenants. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantListEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    createTenant: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                /**
                 * @example {
                 *       "name": "ci-job-4711",
                 *       "seed": "replay-me",
                 *       "clock": "virtual",
                 *       "keys": [
                 *         {
                 *           "balance": 1000
                 *         },
                 *         {
                 *           "balance": 20
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["TenantInput"];
            };
        };
        responses: {
            /** @description The tenant, its keys and its credential. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedTenantEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            /**
             * @description The caller's share is used up: its creation rate (`--tenant-creation-rate`) or its live
             *     tenants (`--max-tenants-per-caller`), or a tenant's share of the memory budget could not
             *     hold the keys asked for, as the message says; retry after Retry-After seconds.
             */
            429: {
                headers: {
                    /** @description Seconds until the share allows another creation. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            503: components["responses"]["Unavailable"];
        };
    };
    getTenant: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /** @example t-0123456789ab */
                tenantId: components["schemas"]["TenantId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tenant. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    deleteTenant: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path: {
                /** @example t-0123456789ab */
                tenantId: components["schemas"]["TenantId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Dropped. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RemovedEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            409: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    waitForJournal: {
        parameters: {
            query?: {
                /** @example POST */
                method?: "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | "OPTIONS";
                /** @example /api/generate */
                path?: string;
                /** @example 5xx */
                status?: string;
                /** @example sk-dreamcore-dev */
                apiKey?: string;
                /** @example sd45_b83bf7c0c51a4c71 */
                taskId?: string;
                /**
                 * @description `true`: only answers QA injected (a header, a rule, chaos, the rate limiter); `false`: only the
                 *     others; or one source exactly (`header`, `chaos`, `rate-limit`, a rule id).
                 * @example true
                 */
                injected?: components["parameters"]["JournalInjected"];
                /**
                 * @description Only requests to this operation (an operationId of openapi.yaml or of the image files).
                 * @example createGenerationTask
                 */
                operation?: components["parameters"]["JournalOperation"];
                /**
                 * @description Free text, ignoring the case of ASCII letters: entries where it occurs in the path, the query,
                 *     a body (as kept: the first 2,048 characters), a recorded header, the task id, the key's label,
                 *     the operation or what injected it.
                 * @example red fox
                 */
                q?: components["parameters"]["JournalText"];
                /**
                 * @description Only entries newer than this id.
                 * @example 41
                 */
                after?: string;
                /** @example 10 */
                limit?: string;
                /**
                 * @description How long to wait at most (default 5000, at most 60000).
                 * @example 5000
                 */
                timeoutMs?: string;
            };
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The matching entries, or none after the time-out. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JournalWaitEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            410: components["responses"]["Error"];
            429: components["responses"]["TooManyFollowers"];
            503: components["responses"]["Unavailable"];
        };
    };
    getInvariants: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What was checked, and the problems found. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InvariantsEnvelope"];
                };
            };
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    listAccounts: {
        parameters: {
            query?: {
                /**
                 * @description At most this many accounts (default 100, at most 1000).
                 * @example 100
                 */
                limit?: string;
                /**
                 * @description Skip this many accounts first.
                 * @example 0
                 */
                offset?: string;
                /**
                 * @description Ledger entries per account, the newest (default 10, at most 100).
                 * @example 10
                 */
                ledger?: string;
            };
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The accounts. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountListEnvelope"];
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    streamJournal: {
        parameters: {
            query?: {
                /** @example POST */
                method?: "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | "OPTIONS";
                /** @example /api/generate */
                path?: string;
                /** @example 5xx */
                status?: string;
                /** @example sk-dreamcore-dev */
                apiKey?: string;
                /** @example sd45_b83bf7c0c51a4c71 */
                taskId?: string;
                /**
                 * @description `true`: only answers QA injected (a header, a rule, chaos, the rate limiter); `false`: only the
                 *     others; or one source exactly (`header`, `chaos`, `rate-limit`, a rule id).
                 * @example true
                 */
                injected?: components["parameters"]["JournalInjected"];
                /**
                 * @description Only requests to this operation (an operationId of openapi.yaml or of the image files).
                 * @example createGenerationTask
                 */
                operation?: components["parameters"]["JournalOperation"];
                /**
                 * @description Free text, ignoring the case of ASCII letters: entries where it occurs in the path, the query,
                 *     a body (as kept: the first 2,048 characters), a recorded header, the task id, the key's label,
                 *     the operation or what injected it.
                 * @example red fox
                 */
                q?: components["parameters"]["JournalText"];
                /**
                 * @description Start after this entry id (default: the newest entry).
                 * @example 41
                 */
                after?: string;
            };
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
                /**
                 * @description Sent by a reconnecting EventSource; wins over `after`.
                 * @example 41
                 */
                "Last-Event-ID"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The stream, until the client closes it. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example retry: 2000
                     *
                     *     id: 42
                     *     event: entry
                     *     data: {"id":42,"method":"POST","path":"/api/generate","status":200}
                     *
                     *     : keep-alive
                     */
                    "text/event-stream": string;
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            410: components["responses"]["Error"];
            429: components["responses"]["TooManyFollowers"];
            503: components["responses"]["Unavailable"];
        };
    };
    getReport: {
        parameters: {
            query?: {
                /**
                 * @description `json` (the default), `junit` (JUnit XML) or `text`.
                 * @example junit
                 */
                format?: "json" | "junit" | "text";
                /**
                 * @description JUnit only: findings of this severity or worse are failures (`warning`, the default: every
                 *     finding; `error`: warnings go to their test case's output and it passes).
                 * @example error
                 */
                fail_on?: "error" | "warning";
            };
            header?: {
                /**
                 * @description The world an operator's call acts in: a tenant's id, or `default` (the default when absent). A
                 *     tenant credential acts in its own tenant only: naming another is 403.
                 * @example t-0123456789ab
                 */
                "X-Mock-Tenant"?: components["parameters"]["TenantHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The report. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VerdictReportEnvelope"];
                    /**
                     * @example <?xml version="1.0" encoding="UTF-8"?>
                     *     <testsuites name="dreamcore-verdict" tests="7" failures="1" errors="0" skipped="0">
                     */
                    "application/xml": string;
                    /** @example Verdict for world default at 2025-06-14T05:22:40.000Z: 1 error, 0 warnings, 14 requests observed */
                    "text/plain": string;
                };
            };
            400: components["responses"]["Error"];
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The exposition. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example # HELP dreamcore_http_requests_total Requests answered, by operationId, status and whether QA injected the answer.
                     *     # TYPE dreamcore_http_requests_total counter
                     *     dreamcore_http_requests_total{operation="createGenerationTask",status="200",injected="false"} 1
                     */
                    "text/plain": string;
                };
            };
            401: components["responses"]["Error"];
            403: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    getConsole: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The page. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            403: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    getConsoleAsset: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example console.js */
                asset: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/javascript": string;
                    "text/css": string;
                    "application/json": Record<string, never>;
                };
            };
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            503: components["responses"]["Error"];
        };
    };
    getDocs: {
        parameters: {
            query?: {
                /**
                 * @description The document shown first (default `api`, openapi.yaml).
                 * @example control
                 */
                doc?: "api" | "control";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The page. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            403: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    getDocsDocument: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example openapi.json */
                document: "openapi.json" | "control-api.json";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The document. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            400: components["responses"]["Error"];
            403: components["responses"]["Error"];
            503: components["responses"]["Unavailable"];
        };
    };
    getDocsAsset: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @example swagger-ui-bundle.js */
                asset: "swagger-ui-bundle.js" | "swagger-ui-standalone-preset.js" | "swagger-ui.css" | "favicon-32x32.png" | "docs.js" | "docs.css";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/javascript": string;
                    "text/css": string;
                    "image/png": string;
                };
            };
            400: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            503: components["responses"]["Error"];
        };
    };
    getTaskImage: {
        parameters: {
            query?: {
                /**
                 * @description The tenant whose task this is (absent for the default world); image links of tenants carry it.
                 * @example t-0123456789ab
                 */
                tenant?: components["schemas"]["TenantId"];
            };
            header?: never;
            path: {
                /** @example sd45_b83bf7c0c51a4c71 */
                taskId: string;
                /**
                 * @description `<index>.jpg`, index from 0 (0 to 3 for a burst).
                 * @example 0.jpg
                 */
                file: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The image. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": string;
                };
            };
            400: components["responses"]["Error"];
            403: components["responses"]["Error"];
            404: components["responses"]["Error"];
            410: components["responses"]["Error"];
            /**
             * @description The image encoder could not be loaded, or the store is unreachable (`service_unavailable`).
             *     The encoder is loaded again on a request after `Retry-After` seconds; the delay grows after
             *     each failure, up to 30 s.
             */
            503: {
                headers: {
                    /** @description Seconds until a retry may succeed. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
}
