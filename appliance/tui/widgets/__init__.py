"""The setup UI's widgets: each shows one thing and is told what to show.

Widgets never talk to the box: a screen hands them values (from the status,
the profile and the live stream), and a widget redraws only when a value it
shows has changed (reactive attributes compare before they refresh).
"""
