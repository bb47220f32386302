-- R40: on every row of the Summary Report for Charges, CHARGED <= DELIVERED, and AMOUNT
-- is 0 where CHARGED is 0.
select *
from {{ ref('summary_charges') }}
where
    charged > delivered
    or (charged = 0 and amount != 0)
    or amount is null
