-- POST /v1/progress with one event: the statement of
-- learners.LearningStore.RecordProgress (recordProgressSQL), run prepared on
-- its own as the handler runs it, for a target of the generated pool (even
-- rows; the API run uses the odd ones).
-- The completion transaction runs only for enrollments whose every lesson is
-- done, which no pool target is, so the handler does not run it either.
-- The pool lookup is the only statement the handler does not run. The lessons
-- are an array built from a parameter, not ARRAY[...], so that PostgreSQL
-- estimates them as it does the handler's array parameters when it weighs a
-- generic plan against a custom one.
-- bench/cmd/load/sql_test.go checks the statement against the handler's
-- source.
\set n 2 * random(1, :half)
SELECT user_id AS uid, lesson_id AS lid FROM bench.pool_one WHERE n = :n \gset
WITH target AS (
		SELECT x.lesson_id, l.id IS NOT NULL AS known, e.id AS enrollment_id,
			coalesce(e.version_id = l.version_id, false) AS same_version,
			e.status = 'active' AS active, e.lessons_total
		FROM unnest(string_to_array(:lid, ',')::uuid[]) AS x(lesson_id)
		LEFT JOIN lessons l ON l.id = x.lesson_id
		LEFT JOIN course_versions v ON v.id = l.version_id
		LEFT JOIN enrollments e ON e.user_id = :uid AND e.course_id = v.course_id
	), input AS (
		SELECT i.id, i.occurred_at, t.enrollment_id, i.lesson_id
		FROM unnest(ARRAY[gen_random_uuid()], ARRAY[now()], string_to_array(:lid, ',')::uuid[]) AS i(id, occurred_at, lesson_id)
		JOIN target t ON t.lesson_id = i.lesson_id AND t.same_version
	), fresh AS (
		INSERT INTO progress_event_ids (id) SELECT id FROM input ORDER BY id
		ON CONFLICT DO NOTHING
		RETURNING id
	), ev AS (
		INSERT INTO progress_events (id, occurred_at, user_id, enrollment_id, lesson_id, type)
		SELECT i.id, i.occurred_at, :uid, i.enrollment_id, i.lesson_id, 'lesson_completed'
		FROM input i JOIN fresh f ON f.id = i.id
		RETURNING id, occurred_at, enrollment_id, lesson_id
	), lc AS (
		INSERT INTO lesson_completions (enrollment_id, lesson_id, completed_at, event_id)
		SELECT DISTINCT ON (enrollment_id, lesson_id) enrollment_id, lesson_id, occurred_at, id FROM ev
		ORDER BY enrollment_id, lesson_id, occurred_at, id
		ON CONFLICT (enrollment_id, lesson_id) DO UPDATE
			SET completed_at = excluded.completed_at, event_id = excluded.event_id
			WHERE excluded.completed_at < lesson_completions.completed_at
		RETURNING enrollment_id, (xmax = 0) AS inserted
	), progress AS (
		INSERT INTO enrollment_progress AS p (enrollment_id, lessons_completed, last_activity_at)
		SELECT ev.enrollment_id,
			(SELECT count(*) FROM lc WHERE lc.enrollment_id = ev.enrollment_id AND lc.inserted), max(ev.occurred_at)
		FROM ev GROUP BY ev.enrollment_id ORDER BY ev.enrollment_id
		ON CONFLICT (enrollment_id) DO UPDATE
			SET lessons_completed = p.lessons_completed + excluded.lessons_completed,
				last_activity_at = greatest(p.last_activity_at, excluded.last_activity_at)
		RETURNING p.enrollment_id, p.lessons_completed
	)
	SELECT t.lesson_id, t.known, t.enrollment_id, t.same_version, (SELECT count(*) FROM ev) AS accepted,
		ARRAY(SELECT DISTINCT f.enrollment_id FROM target f LEFT JOIN progress p ON p.enrollment_id = f.enrollment_id
			WHERE f.same_version AND f.active AND (p.enrollment_id IS NULL OR p.lessons_completed >= f.lessons_total)) AS finished
	FROM target t;
