-- group_by=country,month&from=2024-01-01&to=2024-12-31

-- totals and the gender margin, args ["2024-01-01" "2024-12-01"]
SELECT d0,
	count(*), coalesce(bigint_sum(n), 0), coalesce(bigint_sum(c), 0), coalesce(bigint_sum(k), 0),
	coalesce(bigint_sum(lk), 0), coalesce(bigint_sum(nk), 0), coalesce(bigint_sum(ck), 0), coalesce(bigint_sum(kk), 0)
FROM (
	SELECT gender::text AS d0, e.user_id, min(e.learner_key)::bigint AS lk,
		count(*) AS n, sum(e.record_key) AS nk,
		count(*) FILTER (WHERE e.completed) AS c, sum(e.record_key) FILTER (WHERE e.completed) AS ck,
		count(*) FILTER (WHERE e.certified) AS k, sum(e.record_key) FILTER (WHERE e.certified) AS kk
	FROM report_enrollment_state e WHERE e.month >= $1::date AND e.month <= $2::date
	GROUP BY e.user_id, GROUPING SETS ((gender::text), ())) u
GROUP BY d0;

-- rows, args ["2024-01-01" "2024-12-01"]
SELECT country::text AS d0, to_char(month, 'YYYY-MM') AS d1,
	coalesce(bigint_sum(learners), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM report_place_month_cells WHERE month >= $1::date AND month <= $2::date
GROUP BY country, month
HAVING (country IS NOT NULL OR GROUPING(country) = 1) AND (month IS NOT NULL OR GROUPING(month) = 1);
