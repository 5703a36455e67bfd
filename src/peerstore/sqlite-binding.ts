// better-sqlite3 (v12), typed by hand for exactly what ./sqlite-peer-store.ts
// uses. The package ships no type declarations and we may not add
// @types/better-sqlite3, so this file is the one typed boundary; everything
// behind it returns `unknown` rows that the store checks before use.
//
// better-sqlite3 is synchronous: each call runs the SQL to completion on the
// calling thread, which suits a store whose API is synchronous too.

import { createRequire } from 'node:module'

export type SqlValue = null | number | bigint | string | Uint8Array

export interface Statement {
  run: (...params: SqlValue[]) => { changes: number }
  get: (...params: SqlValue[]) => unknown
  all: (...params: SqlValue[]) => unknown[]
}

/** A function wrapped by `db.transaction`: BEGIN, fn, COMMIT; ROLLBACK if fn throws. */
export interface TransactionFunction<T> {
  (): T
  /** The same, with BEGIN DEFERRED (takes the write lock only when it writes). */
  deferred: () => T
  /** The same, with BEGIN IMMEDIATE (takes the write lock at once). */
  immediate: () => T
}

export interface Database {
  prepare: (sql: string) => Statement
  exec: (sql: string) => Database
  pragma: (sql: string, options?: { simple?: boolean }) => unknown
  transaction: <T>(fn: () => T) => TransactionFunction<T>
  close: () => Database
  readonly open: boolean
  readonly inTransaction: boolean
}

export interface DatabaseOptions {
  /** Milliseconds to wait for a lock held by another connection. */
  timeout?: number
  fileMustExist?: boolean
  readonly?: boolean
}

export type DatabaseConstructor = new (path: string, options?: DatabaseOptions) => Database

const require = createRequire(import.meta.url)

/** Loads the native module on first use, so the memory store never needs it. */
export function loadDatabaseConstructor (): DatabaseConstructor {
  return require('better-sqlite3') as DatabaseConstructor
}
