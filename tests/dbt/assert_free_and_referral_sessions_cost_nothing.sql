-- R24: FREE TIER rows and referral rows have AMOUNT 0.
select *
from {{ ref('summary_sessions') }}
where
    (is_free_tier or session_type = 'Referral')
    and amount_usd != 0
