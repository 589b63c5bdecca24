"""The flow kit every handler is written on: typed buttons, text steps, screens, a date picker."""
