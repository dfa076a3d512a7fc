-- failure means: a city has no value at all in a period for which other cities reported: neither its own report
-- nor a value carried forward from its earlier reports (carry_forward_quarters). Its reports are missing or were
-- rejected whole for longer than the carry-forward window, usually an intake fault to fix before publishing.
-- severity: warning
-- keys: city_code, period
with facts as (
    select * from intermediate.int_indicator_values
),

per_city as (
    select
        city_code,
        period,
        count(*) filter (
            where value_status in ('reported', 'carried_forward') and value_source = 'report'
        ) as with_value
    from facts
    group by city_code, period
),

periods_with_reports as (
    select period from per_city
    group by period
    having max(with_value) > 0
),

final as (
    select
        per_city.city_code,
        per_city.period,
        per_city.with_value
    from per_city
    inner join periods_with_reports on per_city.period = periods_with_reports.period
    where per_city.with_value = 0
)

select * from final
