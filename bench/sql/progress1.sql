-- POST /v1/progress with one event: the statement of
-- learners.LearningStore.RecordProgress (recordProgressSQL), run prepared on
-- its own as the handler runs it, for a target of the generated pool (even
-- rows; the API run uses the odd ones).
-- The completion transaction runs only for enrollments whose every lesson is
-- done, which no pool target is, so the handler does not run it either.
-- The pool lookup is the only statement the handler does not run.
-- bench/cmd/load/sql_test.go checks the statement against the handler's
-- source.
\set n 2 * random(1, :half)
SELECT user_id AS uid, lesson_id AS lid FROM bench.pool_one WHERE n = :n \gset
WITH target AS (
		SELECT x.lesson_id, l.id IS NOT NULL AS known, e.id AS enrollment_id,
			coalesce(e.version_id = l.version_id, false) AS same_version,
			coalesce(e.status = 'active' AND e.lessons_completed >= e.lessons_total, false) AS finished_before
		FROM unnest(ARRAY[:lid]::uuid[]) AS x(lesson_id)
		LEFT JOIN lessons l ON l.id = x.lesson_id
		LEFT JOIN course_versions v ON v.id = l.version_id
		LEFT JOIN enrollments e ON e.user_id = :uid AND e.course_id = v.course_id
	), input AS (
		SELECT i.id, i.occurred_at, t.enrollment_id, i.lesson_id
		FROM unnest(ARRAY[gen_random_uuid()], ARRAY[now()], ARRAY[:lid]::uuid[]) AS i(id, occurred_at, lesson_id)
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
	), counts AS (
		SELECT ev.enrollment_id, max(ev.occurred_at) AS latest,
			(SELECT count(*) FROM lc WHERE lc.enrollment_id = ev.enrollment_id AND lc.inserted) AS added
		FROM ev GROUP BY ev.enrollment_id
	), upd AS (
		UPDATE enrollments e SET lessons_completed = e.lessons_completed + c.added,
			progress_percent = CASE WHEN e.lessons_total = 0 THEN 0
				ELSE least(100, (e.lessons_completed + c.added) * 100 / e.lessons_total) END,
			last_activity_at = greatest(e.last_activity_at, c.latest)
		FROM counts c WHERE e.id = c.enrollment_id
		RETURNING e.id, e.status = 'active' AND e.lessons_completed >= e.lessons_total AS finished_lessons
	)
	SELECT t.lesson_id, t.known, t.enrollment_id, t.same_version, (SELECT count(*) FROM ev) AS accepted,
		ARRAY(SELECT id FROM upd WHERE finished_lessons
			UNION SELECT enrollment_id FROM target WHERE same_version AND finished_before) AS finished
	FROM target t;
