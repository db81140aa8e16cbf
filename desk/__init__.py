"""The firm's desk: a staff web application (Flask) to read and handle consultation requests.

``python -m desk`` serves it on 127.0.0.1 (port ``desk.port`` in firm.yml, env DESK_PORT).
See docs/desk.md.
"""
