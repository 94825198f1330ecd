package migrations_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/migrations"
)

// schemaQuery describes everything the migrations create outside goose's own
// tables: relations with their columns, indexes with their definitions,
// constraints, functions, triggers and types, one line each, sorted.
const schemaQuery = `
SELECT line FROM (
  SELECT 'relation ' || c.relname || ' ' || c.relkind::text || ' ' ||
         coalesce((SELECT string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod) ||
                                     CASE WHEN a.attnotnull THEN '!' ELSE '' END, ',' ORDER BY a.attnum)
                   FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') AS line
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    AND c.relname NOT IN ('goose_db_version', 'goose_db_version_id_seq', 'goose_lock', 'goose_lock_id_seq')
  UNION ALL
  SELECT 'index ' || indexdef FROM pg_indexes
  WHERE schemaname = 'public' AND tablename NOT IN ('goose_db_version', 'goose_lock')
  UNION ALL
  SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    AND conrelid::regclass::text NOT IN ('goose_db_version', 'goose_lock')
  UNION ALL
  SELECT 'function ' || p.oid::regprocedure || ' ' || md5(p.prosrc)
  FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname || ' ' || pg_get_triggerdef(oid)
  FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text NOT LIKE 'pg_%'
  UNION ALL
  SELECT 'type ' || t.typname || ' ' || t.typtype::text FROM pg_type t
  WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'c')
    AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)
) s ORDER BY line`

func schema(t *testing.T, db *sqlx.DB) []string {
	t.Helper()
	var lines []string
	if err := db.Select(&lines, schemaQuery); err != nil {
		t.Fatalf("read schema: %v", err)
	}
	return lines
}

// TestDownToZeroAndUpAgain runs every down migration, from the newest to the
// first, on a fully migrated database, and then every up migration again: the
// down migrations must leave nothing behind, and the schema built the second
// time must be the one built the first time, reference data included.
func TestDownToZeroAndUpAgain(t *testing.T) {
	ctx := context.Background()
	d, err := pgtest.New("updown")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	first := schema(t, d.DB)
	if len(first) < 50 {
		t.Fatalf("the migrated schema has %d objects; the query found too little to compare", len(first))
	}
	var countries int
	if err := d.Get(&countries, `SELECT count(*) FROM countries`); err != nil || countries == 0 {
		t.Fatalf("countries after the first migration: %d, %v", countries, err)
	}

	p, err := migrations.Provider(d.DB.DB, nil)
	if err != nil {
		t.Fatal(err)
	}
	down, err := p.DownTo(ctx, 0)
	if err != nil {
		t.Fatalf("migrate down to zero: %v", err)
	}
	sources := p.ListSources()
	if len(down) != len(sources) {
		t.Fatalf("down ran %d migrations, want all %d", len(down), len(sources))
	}
	if left := schema(t, d.DB); len(left) != 0 {
		t.Fatalf("after every down migration %d objects are left:\n%s", len(left), strings.Join(left, "\n"))
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v != 0 {
		t.Fatalf("version after down to zero = %d, %v; want 0", v, err)
	}

	if err := migrations.Up(ctx, d.DB.DB, nil); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}
	again := schema(t, d.DB)
	if strings.Join(again, "\n") != strings.Join(first, "\n") {
		t.Fatalf("the schema built again differs from the first:\n%s", diff(first, again))
	}
	var again2 int
	if err := d.Get(&again2, `SELECT count(*) FROM countries`); err != nil || again2 != countries {
		t.Fatalf("countries after migrating up again: %d, %v; want %d", again2, err, countries)
	}
}

// diff lists the lines only one side has.
func diff(a, b []string) string {
	in := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, l := range s {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, l := range a {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
