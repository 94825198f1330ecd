-- GET /v1/me/enrollments, first page: the query of learners.LearningStore.Enrollments
-- (enrollmentSelect + keyset, limit 50 + 1) for a random generated learner.
\set n random(1, :learners)
SELECT e.id, c.slug AS course_slug, v.title AS course_title, e.status,
	enrollment_percent(e.status, ep.lessons_completed, e.lessons_total) AS progress_percent,
	e.enrolled_at, ep.last_activity_at, e.completed_at
	FROM enrollments e JOIN courses c ON c.id = e.course_id JOIN course_versions v ON v.id = e.version_id
	LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id
	WHERE e.user_id = md5('u:' || :n)::uuid
	AND (e.enrolled_at, e.id) < ('9999-01-01T00:00:00Z'::timestamptz, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)
	ORDER BY e.enrolled_at DESC, e.id DESC LIMIT 51;
