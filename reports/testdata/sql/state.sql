-- group_by=cohort

-- totals and the gender margin, args []
SELECT gender::text AS d0,
	coalesce(bigint_sum(learners), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM report_region_cells
GROUP BY GROUPING SETS ((gender), ())
HAVING (gender IS NOT NULL OR GROUPING(gender) = 1);

-- rows, args []
SELECT d0,
	count(*), coalesce(bigint_sum(n), 0), coalesce(bigint_sum(c), 0), coalesce(bigint_sum(k), 0),
	coalesce(bigint_sum(lk), 0), coalesce(bigint_sum(nk), 0), coalesce(bigint_sum(ck), 0), coalesce(bigint_sum(kk), 0)
FROM (
	SELECT cohort_id::text AS d0, e.user_id, min(e.learner_key)::bigint AS lk,
		count(*) AS n, sum(e.record_key) AS nk,
		count(*) FILTER (WHERE e.completed) AS c, sum(e.record_key) FILTER (WHERE e.completed) AS ck,
		count(*) FILTER (WHERE e.certified) AS k, sum(e.record_key) FILTER (WHERE e.certified) AS kk
	FROM report_enrollment_state e
	GROUP BY e.user_id, cohort_id::text) u
GROUP BY d0;
