-- Weighted arithmetic mean of the non-null scores of a group (an aggregate expression): the weights of missing
-- parts drop out and the rest are renormalised; null when no part has a score. fsum (compensated summation), so
-- the mean does not depend on the order rows arrive in: same inputs, same bytes, whatever the plan or threads.
create or replace temp macro weighted_arithmetic_mean(part_weight, part_score) as
fsum(part_weight * part_score) filter (where part_score is not null)
/ nullif(fsum(part_weight) filter (where part_score is not null), 0);
