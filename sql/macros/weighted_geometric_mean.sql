-- Weighted geometric mean of the non-null scores of a group (an aggregate expression), each score floored at
-- score_floor first so that one zero does not zero the whole scope (JRC-OECD Handbook, COINr).
create or replace temp macro weighted_geometric_mean(part_weight, part_score, score_floor) as
exp(
    fsum(part_weight * ln(greatest(part_score, score_floor))) filter (where part_score is not null)
    / nullif(fsum(part_weight) filter (where part_score is not null), 0)
);
