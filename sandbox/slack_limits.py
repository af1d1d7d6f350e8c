"""Slack's documented Block Kit limits, as one table the Slack sandbox checks every screen against.

The numbers are Slack's (Block Kit reference: views, blocks, block elements, composition objects). A limit
here is the largest accepted value; Slack refuses anything above it with ``invalid_arguments`` (views) or
``invalid_blocks`` (messages).
"""

from __future__ import annotations

# Containers
MODAL_BLOCKS = 100
HOME_BLOCKS = 100
MESSAGE_BLOCKS = 50
MESSAGE_TEXT = 40_000
VIEW_TITLE = 24  # title, submit and close of a modal
PRIVATE_METADATA = 3000
ID = 255  # block_id, action_id, callback_id, external_id

# Blocks
SECTION_TEXT = 3000
SECTION_FIELDS = 10
SECTION_FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
INPUT_LABEL = 2000
INPUT_HINT = 2000
IMAGE_ALT_TEXT = 2000
IMAGE_URL = 3000

# Elements
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
URL = 3000
PLACEHOLDER = 150
SELECT_OPTIONS = 100
OPTION_GROUPS = 100
CHECKBOX_OPTIONS = 10
RADIO_OPTIONS = 10
OVERFLOW_OPTIONS = (1, 5)
TEXT_INPUT_LENGTH = 3000  # max_length, min_length and initial_value of a plain_text_input

# Composition objects
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTION_DESCRIPTION = 75
OPTION_GROUP_LABEL = 75
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30

# Answers to the app's own acks
SUGGESTION_OPTIONS = 100  # options (or option groups) in an answer to a block_suggestion
