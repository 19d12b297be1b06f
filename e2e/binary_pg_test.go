package e2e

// With COGNATE_E2E_DB=postgres the whole package runs on PostgreSQL:
// testserver.Start puts each in-process server on a fresh schema, and this
// file does the same for the cognate binary that startBinary runs (the AWS
// CLI walkthrough, the JavaScript clients, ...), without a change to those
// tests: buildBinary returns a wrapper that gives each --data-dir a schema
// of its own (so a restart on the same directory finds its data again) and
// passes it to the real binary as COGNATE_DB. The schemas of a run are
// dropped when the package's tests end.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cognate-dev/cognate/internal/testserver"
)

const (
	envWrapReal = "COGNATE_E2E_PG_REAL_BINARY" // set in the wrapper: the real cognate binary
	envWrapRun  = "COGNATE_E2E_PG_RUN"         // set in the wrapper: this run's schema prefix
)

// realBinary builds the real cognate binary, whatever buildBinary has become.
var realBinary = buildBinary

func TestMain(m *testing.M) {
	if real := os.Getenv(envWrapReal); real != "" {
		execOnPostgres(real, os.Getenv(envWrapRun), os.Args[1:])
		return // not reached
	}
	if !testserver.OnPostgres() {
		os.Exit(m.Run())
	}
	base := os.Getenv(testserver.EnvPostgresURL)
	if base == "" {
		msg := fmt.Sprintf("e2e: %s=postgres but %s is not set", testserver.EnvDB, testserver.EnvPostgresURL)
		if testserver.PostgresRequired() {
			fmt.Fprintln(os.Stderr, msg+" and "+testserver.EnvRequirePostgres+"=1: failing")
			os.Exit(1)
		}
		fmt.Println(msg + ": every test skipped")
		os.Exit(0)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	run := "cognate_e2e_" + hex.EncodeToString(b) + "_"
	buildBinary = func() (string, error) { return wrapBinary(run) }
	code := m.Run()
	if err := dropRunSchemas(base, run); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: dropping this run's schemas:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// wrapBinary writes (once per call; cheap) a script that runs this test
// binary in wrapper mode in front of the real cognate binary.
func wrapBinary(run string) (string, error) {
	wrapMu.Lock() // parallel tests: no test execs the script while another writes it
	defer wrapMu.Unlock()
	real, err := realBinary()
	if err != nil {
		return "", err
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	path := filepath.Join(filepath.Dir(real), "cognate-on-postgres")
	script := fmt.Sprintf("#!/bin/sh\n%s=%s %s=%s exec %s \"$@\"\n", envWrapReal, shellQuote(real), envWrapRun, shellQuote(run), shellQuote(self))
	if b, err := os.ReadFile(path); err == nil && string(b) == script {
		return path, nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(script), 0o755); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

var wrapMu sync.Mutex

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// execOnPostgres replaces this process by the real binary, with COGNATE_DB
// naming the schema of its --data-dir (created when missing) unless --db is
// given or there is no --data-dir (e.g. serve --help).
func execOnPostgres(real, run string, args []string) {
	env := os.Environ()
	if dir, ok := flagValue(args, "--data-dir"); ok && !hasFlag(args, "--db") {
		abs, err := filepath.Abs(dir)
		if err != nil {
			fail(err)
		}
		sum := sha256.Sum256([]byte(abs))
		schema := run + hex.EncodeToString(sum[:8])
		base := os.Getenv(testserver.EnvPostgresURL)
		if err := testserver.Exec(base, "CREATE SCHEMA IF NOT EXISTS "+schema, schema); err != nil {
			var pe *pgconn.PgError // two servers racing on one directory
			if !errors.As(err, &pe) || (pe.Code != "42P06" && pe.Code != "23505") {
				fail(err)
			}
		}
		dsn, err := testserver.WithSearchPath(base, schema)
		if err != nil {
			fail(err)
		}
		env = append(env, "COGNATE_DB="+dsn)
	}
	var clean []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, envWrapReal+"=") && !strings.HasPrefix(kv, envWrapRun+"=") {
			clean = append(clean, kv)
		}
	}
	fail(syscall.Exec(real, append([]string{real}, args...), clean))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "cognate-on-postgres:", err)
	os.Exit(2)
}

// flagValue finds --name value or --name=value.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func hasFlag(args []string, name string) bool {
	_, ok := flagValue(args, name)
	return ok
}

// dropRunSchemas drops the schemas the wrapper made in this run.
func dropRunSchemas(base, run string) error {
	var errs []error
	schemas, err := runSchemas(base, run)
	if err != nil {
		return err
	}
	for _, s := range schemas {
		errs = append(errs, testserver.DropSchema(base, s))
	}
	return errors.Join(errs...)
}

// runSchemas lists the schemas whose names start with run.
func runSchemas(base, run string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, base)
	if err != nil {
		return nil, err
	}
	defer c.Close(context.Background())
	rows, err := c.Query(ctx, `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, run)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
