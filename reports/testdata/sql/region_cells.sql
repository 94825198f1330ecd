-- group_by=gender,region

-- rows, totals and the gender margin, args []
SELECT gender::text AS d0, region::text AS d1,
	coalesce(bigint_sum(learners), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM report_region_cells
GROUP BY GROUPING SETS ((gender, region), (gender), ())
HAVING (gender IS NOT NULL OR GROUPING(gender) = 1) AND (region IS NOT NULL OR GROUPING(region) = 1);
