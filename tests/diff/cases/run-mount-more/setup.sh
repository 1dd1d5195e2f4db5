chmod 0711 dir
