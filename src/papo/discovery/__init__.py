"""How peers find each other without anyone typing an IP address.

``beacon``: small multicast beacons on a papo group; ``mdns``: DNS-SD ``_papo._tcp.local.``
through the optional ``zeroconf`` library; ``interfaces``: which network interfaces to
use; ``doctor``: the local checks behind ``papo doctor``.
"""
