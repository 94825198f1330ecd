package courses

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/web"
)

// ListParams are the catalogue filters, validated.
type ListParams struct {
	Audience string
	Level    string
	Language string
	Q        string
	// Accessibility lists features every lesson of a course must offer.
	Accessibility []string
	Limit         int
	Cursor        listCursor
}

// listCursor is the keyset position: the slug, and the rank for a search.
type listCursor struct {
	Slug string   `json:"s"`
	Rank *float32 `json:"r,omitempty"`
}

// Valid reports whether the cursor names a course: every page ends on a slug.
func (c *listCursor) Valid() bool { return c.Slug != "" && len(c.Slug) <= 80 }

// Validate reports every bad filter.
func (p ListParams) Validate() error {
	var v cc.Validation
	v.Check(p.Audience == "" || cc.OneOf(p.Audience, cc.Audiences), "audience", "must be one of %s", strings.Join(cc.Audiences, ", "))
	v.Check(p.Level == "" || cc.OneOf(p.Level, cc.Levels), "level", "must be one of %s", strings.Join(cc.Levels, ", "))
	v.Check(p.Language == "" || cc.OneOf(p.Language, cc.Languages), "language", "must be one of %s", strings.Join(cc.Languages, ", "))
	v.Check(len([]rune(p.Q)) <= 200, "q", "must be at most 200 characters")
	for _, f := range p.Accessibility {
		v.Check(slices.Contains(AccessibilityFeatures, f), "accessibility",
			"%q is not a schema.org accessibilityFeature; use a comma-separated list of %s", f, strings.Join(AccessibilityFeatures, ", "))
	}
	v.Check(len(p.Accessibility) <= 20, "accessibility", "must list at most 20 features")
	return v.Err()
}

// ParseFeatures reads ?accessibility=captions,transcript: terms separated by
// commas, in any order, repeats ignored.
func ParseFeatures(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// normalizeQuery collapses spaces and case: the search ignores both, and the
// response cache should too.
func normalizeQuery(q string) string {
	return strings.ToLower(strings.Join(strings.Fields(q), " "))
}

// cacheKey identifies the response for these parameters.
func (p ListParams) cacheKey(rawCursor string) string {
	return fmt.Sprintf("list\x00%s\x00%s\x00%s\x00%s\x00%s\x00%d\x00%s", p.Audience, p.Level, p.Language,
		strings.Join(p.Accessibility, ","), p.Q, p.Limit, rawCursor)
}

const summaryCols = `c.id, c.slug, v.title, v.summary, v.audiences, v.level, v.language, v.languages,
	v.duration_minutes, v.version, v.module_count, v.lesson_count, v.accessibility`

// The catalogue is the published current version of every live course.
const (
	catalogueJoin  = ` courses c JOIN course_versions v ON v.id = c.current_version_id`
	catalogueWhere = ` WHERE c.archived_at IS NULL AND c.current_version_id IS NOT NULL
	AND ($1 = '' OR $1 = ANY (v.audiences)) AND ($2 = '' OR v.level = $2) AND ($3 = '' OR $3 = ANY (v.languages))
	AND v.lesson_features @> $4::text[]`
)

const qListBySlug = `SELECT ` + summaryCols + `, 0::real AS rank FROM` + catalogueJoin + catalogueWhere + `
	AND c.slug > $5 ORDER BY c.slug LIMIT $6`

// A search matches the query parsed with every configuration the catalogue
// indexes, so a query in any course language finds its stemmed words; results
// are ranked, and the keyset is (rank, slug).
const qListSearch = `WITH query AS (SELECT websearch_to_tsquery('english', $7) || websearch_to_tsquery('french', $7)
		|| websearch_to_tsquery('spanish', $7) || websearch_to_tsquery('russian', $7)
		|| websearch_to_tsquery('simple', $7) AS q)
	SELECT * FROM (SELECT ` + summaryCols + `, ts_rank(v.search, query.q) AS rank
	FROM query,` + catalogueJoin + catalogueWhere + `
		AND v.search @@ query.q) r
	WHERE $8::real IS NULL OR r.rank < $8::real OR (r.rank = $8::real AND r.slug > $5)
	ORDER BY r.rank DESC, r.slug LIMIT $6`

type summaryRow struct {
	Summary
	Audiences pq.StringArray `db:"audiences"`
	Languages pq.StringArray `db:"languages"`
	Rank      float32        `db:"rank"`
}

// List returns a page of the catalogue.
func (s *Store) List(ctx context.Context, p ListParams) (web.Page[Summary], error) {
	var rows []summaryRow
	var err error
	features := pq.StringArray(p.Accessibility)
	if features == nil {
		features = pq.StringArray{}
	}
	if p.Q == "" {
		err = s.db.SelectContext(ctx, &rows, qListBySlug, p.Audience, p.Level, p.Language, features, p.Cursor.Slug, p.Limit+1)
	} else {
		err = s.db.SelectContext(ctx, &rows, qListSearch, p.Audience, p.Level, p.Language, features, p.Cursor.Slug, p.Limit+1, p.Q, p.Cursor.Rank)
	}
	if err != nil {
		return web.Page[Summary]{}, fmt.Errorf("list courses: %w", err)
	}
	items := make([]Summary, len(rows))
	ranks := make(map[string]float32, len(rows))
	for i, r := range rows {
		items[i] = r.Summary
		items[i].Audiences, items[i].Languages = r.Audiences, r.Languages
		ranks[r.Slug] = r.Rank
	}
	return web.NewPage(items, p.Limit, func(s Summary) any {
		cur := listCursor{Slug: s.Slug}
		if p.Q != "" {
			r := ranks[s.Slug]
			cur.Rank = &r
		}
		return cur
	}), nil
}
