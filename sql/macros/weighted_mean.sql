-- The weighted mean of a group by the aggregation method of seeds/scoring_parameters.csv ('geometric' or
-- 'arithmetic'), over the parts that have a score (an aggregate expression).
create or replace temp macro weighted_mean(method, part_weight, part_score, score_floor) as
case method
    when 'geometric' then weighted_geometric_mean(part_weight, part_score, score_floor)
    else weighted_arithmetic_mean(part_weight, part_score)
end;
