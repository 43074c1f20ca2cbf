"""Extensions created unbound and bound in create_app() with init_app."""

from flask_babel import Babel
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
