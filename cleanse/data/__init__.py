"""The reference tables the program ships (province and place codes, ethnic groups
and their aliases, surnames, the ID's gender/century digit, NFC-unstable text), read by
``cleanse.reference``. Data only: no code.
"""
