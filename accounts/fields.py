from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """A text column stored encrypted (history tables too, since they copy the field).

    Exact-match lookups do not work on it (ciphertexts differ each time): pair it with a blind-index
    column and query that.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        if isinstance(value, str) and value.startswith(crypto.PREFIX):
            return value
        return crypto.encrypt(str(value))
