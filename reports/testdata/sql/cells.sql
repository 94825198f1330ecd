-- group_by=age_band,month&course=intro

-- totals and the gender margin, args ["00000000-0000-0000-0000-0000000000c1"]
SELECT gender::text AS d0,
	coalesce(bigint_sum(enrollments), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM report_cells WHERE course_id = $1
GROUP BY GROUPING SETS ((gender), ());

-- rows, args ["00000000-0000-0000-0000-0000000000c1"]
SELECT age_band::text AS d0, to_char(month, 'YYYY-MM') AS d1,
	coalesce(bigint_sum(enrollments), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM report_cells WHERE course_id = $1
GROUP BY age_band, month;
