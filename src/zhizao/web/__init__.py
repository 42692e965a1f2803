"""The web platform (``zhizao serve``): the JSON API under ``/api/v1`` and the pages, built by
``zhizao.web.app.create_app(settings)`` over ``zhizao.services`` — routes parse, call one service
and render; access is decided by the viewer's scope inside the services' queries."""
