-- The goalposts of the 2015-2018 reference range extended to 2025 by the target_2025_rule: the 'good' end moves by
-- (high - low) * (2025 - 2015) / (2018 - 2015) = 10/3 of the range (up for 'higher', down to at least 0 for
-- 'lower'); the other end stays. Shares are capped at share_cap.
create or replace temp macro goalpost_low_2025(range_low, range_high, direction) as
case
    when direction = 'lower' then greatest(0, range_high - (range_high - range_low) * 10.0 / 3.0)
    else range_low
end;

create or replace temp macro goalpost_high_2025(range_low, range_high, direction, kind, share_cap) as
case
    when direction = 'lower' then range_high
    when kind = 'share' then least(share_cap, range_low + (range_high - range_low) * 10.0 / 3.0)
    else range_low + (range_high - range_low) * 10.0 / 3.0
end;
