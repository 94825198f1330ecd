package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/accounts"
	"github.com/cybercampus/cybercampus/certification"
	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/migrations"
)

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 {
		return usageErr("usage: cybercampus migrate up|down|status")
	}
	db, cfg, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := migrations.Provider(db.DB, newLogger(stdout, cfg.LogLevel))
	if err != nil {
		return err
	}
	switch args[0] {
	case "up":
		res, err := p.Up(ctx)
		for _, r := range res {
			fmt.Fprintf(stdout, "applied %s (%s)\n", r.Source.Path, r.Duration)
		}
		if err == nil && len(res) == 0 {
			fmt.Fprintln(stdout, "no pending migrations")
		}
		return err
	case "down":
		r, err := p.Down(ctx)
		if err == nil {
			fmt.Fprintf(stdout, "rolled back %s\n", r.Source.Path)
		}
		return err
	case "status":
		st, err := p.Status(ctx)
		for _, s := range st {
			at := "pending"
			if !s.AppliedAt.IsZero() {
				at = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			}
			fmt.Fprintf(stdout, "%-40s %s\n", s.Source.Path, at)
		}
		return err
	}
	return usageErr("usage: cybercampus migrate up|down|status")
}

func seed(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	db, err := openMigratedDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := courses.SeedStarter(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "starter curriculum loaded: %d course(s) created or updated\n", n)
	return nil
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func users(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageErr("usage: cybercampus users create --email E --password P --name N --role R")
	}
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	r := accounts.Registration{Gender: "undisclosed", BirthYear: 1990, Country: "CH", Audience: "professional"}
	fs.StringVar(&r.Email, "email", "", "email")
	fs.StringVar(&r.Password, "password", "", "password (at least 10 characters)")
	fs.StringVar(&r.Name, "name", "", "display name")
	fs.StringVar(&r.Country, "country", r.Country, "ISO 3166-1 alpha-2 country")
	var rs multiFlag
	fs.Var(&rs, "role", "role (learner, trainer, analyst, admin); may repeat")
	if err := fs.Parse(args[1:]); err != nil {
		return usageErr("users create: %v", err)
	}
	if len(rs) == 0 {
		rs = multiFlag{"learner"}
	}
	for _, role := range rs {
		if !cc.ValidRole(role) {
			return usageErr("users create: %q is not a role (learner, trainer, analyst, admin)", role)
		}
	}
	if err := r.Validate(); err != nil {
		return usageErr("users create: %s", describe(err))
	}
	db, err := openMigratedDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := accounts.NewStore(db).CreateUser(ctx, r, rs)
	if err != nil {
		return fmt.Errorf("users create: %s", describe(err))
	}
	fmt.Fprintf(stdout, "created user %s <%s> with roles %s\n", u.ID, u.Email, strings.Join(u.Roles, ", "))
	return nil
}

// describe renders an application error with its field errors for a terminal.
func describe(err error) string {
	var e *cc.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	msg := e.Message
	for _, f := range e.Fields {
		msg += fmt.Sprintf(" %s: %s;", f.Field, f.Message)
	}
	return strings.TrimSuffix(msg, ";")
}

func jobsCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 2 || args[0] != "run" {
		return usageErr("usage: cybercampus jobs run NAME")
	}
	p, err := jobs.Lookup(args[1])
	if err != nil {
		return usageErr("jobs run: %v", err)
	}
	e, err := openEnv(ctx, getenv, io.Discard, false)
	if err != nil {
		return err
	}
	defer e.Close()
	info, err := e.queue.EnqueueContext(ctx, p.Task())
	if errors.Is(err, asynq.ErrDuplicateTask) {
		fmt.Fprintf(stdout, "%s is already queued\n", p.Name)
		return nil
	} else if err != nil {
		return fmt.Errorf("enqueue %s: %w", p.Name, err)
	}
	fmt.Fprintf(stdout, "enqueued %s as task %s on queue %s\n", p.Name, info.ID, info.Queue)
	return nil
}

func coursesCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 2 || (args[0] != "import" && args[0] != "export") {
		return usageErr("usage: cybercampus courses import FILE|DIR | courses export SLUG")
	}
	db, err := openMigratedDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "import" {
		return courses.ImportPath(ctx, db, args[1], stdout)
	}
	return courses.ExportDocument(ctx, db, args[1], stdout)
}

func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "rotate" {
		return usageErr("usage: cybercampus keys rotate")
	}
	e, err := openEnv(ctx, getenv, io.Discard, true)
	if err != nil {
		return err
	}
	defer e.Close()
	// Older keys stay published, so the certificates they signed keep verifying.
	keys := certification.NewKeyring(e.db, e.cfg.PublicBaseURL, e.cfg.CertKeyEncryptionKey, e.logger, time.Now)
	tp, err := keys.Rotate(ctx)
	if err != nil {
		return err
	}
	kid := keys.KeyID(tp)
	fmt.Fprintf(stdout, "new current certificate key %s\n", kid)
	return nil
}

// openMigratedDB opens the database for an operator command and applies any
// pending migration first, so every command works on a fresh database.
func openMigratedDB(ctx context.Context, getenv func(string) string) (*sqlx.DB, error) {
	db, _, err := openDB(ctx, getenv)
	if err != nil {
		return nil, err
	}
	if err := migrations.Up(ctx, db.DB, nil); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
