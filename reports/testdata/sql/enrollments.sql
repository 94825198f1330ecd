-- group_by=country,month&region=africa

-- totals and the gender margin, args ["africa"]
SELECT d0,
	count(*), coalesce(bigint_sum(n), 0), coalesce(bigint_sum(c), 0), coalesce(bigint_sum(k), 0),
	coalesce(bigint_sum(lk), 0), coalesce(bigint_sum(nk), 0), coalesce(bigint_sum(ck), 0), coalesce(bigint_sum(kk), 0)
FROM (
	SELECT e.gender::text AS d0, e.user_id, min(e.learner_key)::bigint AS lk,
		count(*) AS n, sum(e.record_key) AS nk,
		count(*) FILTER (WHERE e.status = 'completed') AS c, sum(e.record_key) FILTER (WHERE e.status = 'completed') AS ck,
		count(*) FILTER (WHERE c.id IS NOT NULL) AS k, sum(e.record_key) FILTER (WHERE c.id IS NOT NULL) AS kk
	FROM enrollments e LEFT JOIN certificates c ON c.enrollment_id = e.id AND c.revoked_at IS NULL WHERE e.region = $1
	GROUP BY e.user_id, GROUPING SETS ((e.gender::text), ())) u
GROUP BY d0;

-- rows, args ["africa"]
SELECT d0, d1,
	count(*), coalesce(bigint_sum(n), 0), coalesce(bigint_sum(c), 0), coalesce(bigint_sum(k), 0),
	coalesce(bigint_sum(lk), 0), coalesce(bigint_sum(nk), 0), coalesce(bigint_sum(ck), 0), coalesce(bigint_sum(kk), 0)
FROM (
	SELECT e.country::text AS d0, to_char(e.enrolled_at AT TIME ZONE 'UTC', 'YYYY-MM') AS d1, e.user_id, min(e.learner_key)::bigint AS lk,
		count(*) AS n, sum(e.record_key) AS nk,
		count(*) FILTER (WHERE e.status = 'completed') AS c, sum(e.record_key) FILTER (WHERE e.status = 'completed') AS ck,
		count(*) FILTER (WHERE c.id IS NOT NULL) AS k, sum(e.record_key) FILTER (WHERE c.id IS NOT NULL) AS kk
	FROM enrollments e LEFT JOIN certificates c ON c.enrollment_id = e.id AND c.revoked_at IS NULL WHERE e.region = $1
	GROUP BY e.user_id, e.country::text, to_char(e.enrolled_at AT TIME ZONE 'UTC', 'YYYY-MM')) u
GROUP BY d0, d1;
