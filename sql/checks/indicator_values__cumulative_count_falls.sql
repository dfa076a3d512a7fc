-- failure means: a cumulative count (an indicator of kind count measured as a stock) fell below the value the same
-- city had in an earlier period: a report lost items, a value was keyed into the wrong period or a unit changed.
-- severity: critical
-- keys: city_code, period, indicator_code
with stock_counts as (
    select indicator_code from staging.stg_indicators
    where kind = 'count' and measure = 'stock'
),

facts as (
    select
        int_indicator_values.city_code,
        int_indicator_values.period,
        int_indicator_values.indicator_code,
        int_indicator_values.value,
        last_value(int_indicator_values.value ignore nulls) over (
            partition by int_indicator_values.city_code, int_indicator_values.indicator_code
            order by int_indicator_values.period
            rows between unbounded preceding and 1 preceding
        ) as previous_value
    from intermediate.int_indicator_values
    inner join stock_counts on int_indicator_values.indicator_code = stock_counts.indicator_code
),

final as (
    select
        city_code,
        period,
        indicator_code,
        previous_value,
        value
    from facts
    where value < previous_value
)

select * from final
