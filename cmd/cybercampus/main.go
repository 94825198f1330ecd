// Command cybercampus runs the CyberCampus API, job worker and scheduler, and
// the operator commands (migrations, seeding, users, jobs, courses, keys).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cybercampus:", err)
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

// exitError carries a process exit code: 2 for usage and configuration errors.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return exitError{code: 2, err: fmt.Errorf(format, args...)}
}

const usage = `usage: cybercampus COMMAND

commands:
  serve                      API, job worker and scheduler in one process
  api | worker | scheduler   one role each
  migrate up|down|status     database migrations
  seed                       load the starter curriculum (idempotent)
  users create --email E --password P --name N --role R [--role R ...]
  jobs run NAME              enqueue a periodic job now
  courses import FILE|DIR    import course documents
  courses export SLUG        print a course document
  keys rotate                make a new certificate signing key current
`

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageErr("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve":
		return serve(ctx, getenv, stdout, roles{api: true, worker: true, scheduler: true})
	case "api":
		return serve(ctx, getenv, stdout, roles{api: true})
	case "worker":
		return serve(ctx, getenv, stdout, roles{worker: true})
	case "scheduler":
		return serve(ctx, getenv, stdout, roles{scheduler: true})
	case "migrate":
		return migrate(ctx, rest, getenv, stdout)
	case "seed":
		return seed(ctx, getenv, stdout)
	case "users":
		return users(ctx, rest, getenv, stdout)
	case "jobs":
		return jobsCmd(ctx, rest, getenv, stdout)
	case "courses":
		return coursesCmd(ctx, rest, getenv, stdout)
	case "keys":
		return keysCmd(ctx, rest, getenv, stdout)
	}
	fmt.Fprint(stderr, usage)
	return usageErr("unknown command %q", cmd)
}
