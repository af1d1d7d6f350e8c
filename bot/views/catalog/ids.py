"""The catalog's action, callback and block ids, and the option values the handlers read back.

Input block ids are the use cases' field names (`catalog.form_input.Field`), so a field error raised by a
use case lands under the right input; action ids all start with `catalog_` and the modals have their own
callback ids, so nothing here collides with the Log time modal (block `project`, action `value`).
"""

CALLBACK_CLIENT = "catalog_client_form"
CALLBACK_PROJECT = "catalog_project_form"
CALLBACK_PROJECT_RATES = "catalog_project_rates_form"
CALLBACK_DEFAULT_RATES = "catalog_default_rates_form"
CALLBACK_ROUNDING = "catalog_rounding_form"
CALLBACK_ARCHIVE = "catalog_archive_confirm"
CALLBACK_NOTICE = "catalog_notice"

ACTION_NEW_CLIENT = "catalog_new_client"
ACTION_NEW_PROJECT = "catalog_new_project"
ACTION_DEFAULT_RATES = "catalog_default_rates"
ACTION_ROUNDING = "catalog_rounding"
ACTION_SHOW = "catalog_show"  # value: "all" or "active"
ACTION_PAGE = "catalog_page"  # value: JSON {"page": n, "all": bool}
ACTION_ROW_MENU = "catalog_row_menu"  # overflow on each client / project row; value "<verb>:<id>"

ACTION_CLIENT_NAME = "catalog_client_name"
ACTION_CLIENT_ROUNDING = "catalog_client_rounding"
ACTION_PROJECT_CLIENT = "catalog_project_client"  # static_select, or external_select (options) past 100 clients
ACTION_PROJECT_NAME = "catalog_project_name"
ACTION_CODE = "catalog_project_code"
ACTION_RATE = "catalog_hourly_rate"
ACTION_BILLABLE = "catalog_billable"
ACTION_MODE = "catalog_billing_mode"  # dispatch_action: reshapes the project modal
ACTION_RETAINER_AMOUNT = "catalog_retainer_amount"
ACTION_INCLUDED_HOURS = "catalog_included_hours"
ACTION_OVERAGE_RATE = "catalog_overage_rate"
ACTION_BUDGET = "catalog_budget_amount"
ACTION_CHANNEL = "catalog_channel"
ACTION_CHANNEL_ALERTS = "catalog_channel_alerts"
ACTION_MEMBER = "catalog_member"
ACTION_MEMBER_RATE = "catalog_member_rate"
ACTION_ROUNDING_RULE = "catalog_rounding_rule"

BLOCK_CATALOG_BUTTONS = "catalog_buttons"
BLOCK_CATALOG_PAGER = "catalog_pager"
BLOCK_RATES_LIST = "catalog_rates_list"
BILLABLE_VALUE = "billable"
CHANNEL_ALERTS_VALUE = "post"
FOLLOW_WORKSPACE = "workspace"  # the client rounding option meaning "no override"

# Row verbs (overflow option values "<verb>:<id>").
EDIT_CLIENT = "edit_client"
ARCHIVE_CLIENT = "archive_client"
UNARCHIVE_CLIENT = "unarchive_client"
EDIT_PROJECT = "edit_project"
PROJECT_RATES = "project_rates"
ARCHIVE_PROJECT = "archive_project"
UNARCHIVE_PROJECT = "unarchive_project"
