// Package storetest owns the one conformance suite every store.Store backend must pass. The
// backends' own tests (store/sqlite_test.go, store/postgres_test.go) call Run with a function
// that opens a fresh, empty store for each subtest.
package storetest
